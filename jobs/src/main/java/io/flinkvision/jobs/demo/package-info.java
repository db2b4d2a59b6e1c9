/**
 * The {@code demo} command: the shipped clip through an embedded Kafka broker and the job on a MiniCluster.
 */
package io.flinkvision.jobs.demo;
