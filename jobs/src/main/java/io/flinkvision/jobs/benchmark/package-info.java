/**
 * The {@code benchmark} (engine-only, serialized, operator) and {@code benchmark-e2e} (Kafka -> the job -> Kafka beside
 * the operator alone) commands, their frames and reports.
 */
package io.flinkvision.jobs.benchmark;
