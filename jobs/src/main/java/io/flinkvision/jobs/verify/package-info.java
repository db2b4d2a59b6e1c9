/**
 * The {@code verify} command: an engine against ONNX Runtime on real frames, tensor by tensor and by detections.
 */
package io.flinkvision.jobs.verify;
