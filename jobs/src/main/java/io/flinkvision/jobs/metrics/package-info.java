/**
 * Metrics reporting of the commands (Prometheus).
 */
package io.flinkvision.jobs.metrics;
