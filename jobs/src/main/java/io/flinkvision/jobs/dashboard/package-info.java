/**
 * The live detections dashboard: {@link io.flinkvision.jobs.dashboard.DetectionsDashboard} (embeddable, e.g. by the
 * demo) and {@link io.flinkvision.jobs.dashboard.DashboardCommand} (the {@code dashboard} subcommand). A Jetty 12 server
 * pushes state snapshots to the page ({@code src/main/resources/dashboard/}) as Server-Sent Events; one
 * {@code read_committed} Kafka consumer feeds them from the detections and frames topics. The job's health (state and
 * restarts from the Flink REST API, input lag of its consumer group) is polled by
 * {@link io.flinkvision.jobs.dashboard.JobHealthMonitor} and judged by {@link io.flinkvision.jobs.dashboard.JobVerdict}.
 */
package io.flinkvision.jobs.dashboard;
