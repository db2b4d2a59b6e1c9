/**
 * Shared picocli pieces: option converters and the mapping of command-line flags onto {@code inference.*} keys.
 */
package io.flinkvision.jobs.cli;
