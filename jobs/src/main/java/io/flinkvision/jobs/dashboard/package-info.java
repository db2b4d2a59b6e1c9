/**
 * The live detections dashboard: {@link io.flinkvision.jobs.dashboard.DetectionsDashboard} (embeddable, e.g. by the
 * demo) and {@link io.flinkvision.jobs.dashboard.DashboardCommand} (the {@code dashboard} subcommand). A Jetty 12 server
 * pushes state snapshots to the page ({@code src/main/resources/dashboard/}) as Server-Sent Events; one
 * {@code read_committed} Kafka consumer feeds them from the detections and frames topics.
 */
package io.flinkvision.jobs.dashboard;
