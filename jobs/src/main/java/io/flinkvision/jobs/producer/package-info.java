/**
 * The {@code produce} command: a video file, an RTSP/HTTP stream or a folder of images into a frames topic.
 */
package io.flinkvision.jobs.producer;
