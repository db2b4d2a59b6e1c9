/**
 * The {@code soak} command: the demo pipeline for N minutes with memory sampled, to find leaks.
 */
package io.flinkvision.jobs.soak;
