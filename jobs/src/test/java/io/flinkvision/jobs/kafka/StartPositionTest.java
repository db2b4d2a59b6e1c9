package io.flinkvision.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.jobs.JobSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of {@code --start-from} / {@code --stop-at} and the checks of a replay range. */
class StartPositionTest {

    @Test
    void parsesEveryForm() {
        assertThat(StartPosition.parse("earliest").kind()).isEqualTo(StartPosition.Kind.EARLIEST);
        assertThat(StartPosition.parse("LATEST").kind()).isEqualTo(StartPosition.Kind.LATEST);
        assertThat(StartPosition.parse("committed")).isEqualTo(StartPosition.COMMITTED);
        assertThat(StartPosition.parse("COMMITTED_OR_EARLIEST")).isEqualTo(StartPosition.COMMITTED);
        assertThat(StartPosition.parse("timestamp:1780000003000").timestampMs()).isEqualTo(1_780_000_003_000L);
        assertThat(StartPosition.parse("timestamp:2026-12-07T10:00:00Z").timestampMs()).isEqualTo(1_796_637_600_000L);
        assertThat(StartPosition.parse("timestamp:2026-12-07T11:00:00+01:00").timestampMs())
                .isEqualTo(1_796_637_600_000L);
        assertThat(StartPosition.parse("offsets:0:1200, 3:7").offsets()).isEqualTo(Map.of(0, 1200L, 3, 7L));
        assertThat(StopPosition.parse("latest")).isEqualTo(StopPosition.LATEST);
        assertThat(StopPosition.parse("offsets:1:5").offsets()).isEqualTo(Map.of(1, 5L));
        assertThat(StartPosition.of(JobSettings.StartFrom.EARLIEST).kind()).isEqualTo(StartPosition.Kind.EARLIEST);
    }

    @Test
    void badValuesNameTheOptionAndTheForms() {
        assertThatThrownBy(() -> StartPosition.parse("yesterday")).hasMessageContaining("--start-from 'yesterday'")
                .hasMessageContaining("timestamp:");
        assertThatThrownBy(() -> StartPosition.parse("timestamp:2026-12-07T10:00:00"))
                .hasMessageContaining("with a zone");
        assertThatThrownBy(() -> StopPosition.parse("offsets:0")).hasMessageContaining("--stop-at offsets '0'");
        assertThatThrownBy(() -> StopPosition.parse("offsets:0:1,0:2")).hasMessageContaining("partition 0 twice");
        assertThatThrownBy(() -> StopPosition.parse("earliest")).hasMessageContaining("--stop-at 'earliest'");
    }

    @Test
    void aReplayRangeMustNotBeEmptyOrReversed() {
        JobSettings.Builder b = JobSettings.builder().bootstrapServers("localhost:9092");
        assertThatThrownBy(() -> b.startPosition(StartPosition.parse("timestamp:2000"))
                .stopAt(StopPosition.parse("timestamp:1000")).build()).hasMessageContaining("is not after");
        assertThatThrownBy(() -> b.startPosition(StartPosition.parse("offsets:0:10"))
                .stopAt(StopPosition.parse("offsets:0:9")).build()).hasMessageContaining("before --start-from");
        assertThatThrownBy(() -> b.startPosition(null).bounded(true).stopAt(StopPosition.parse("timestamp:5"))
                .build()).hasMessageContaining("--bounded");
        JobSettings ok = b.bounded(false).startPosition(StartPosition.parse("timestamp:1000"))
                .stopAt(StopPosition.parse("timestamp:2000")).build();
        assertThat(ok.stopAt().timestampMs()).isEqualTo(2000);
        assertThat(ok.toBuilder().build().startPosition()).isEqualTo(StartPosition.parse("timestamp:1000"));
        JobSettings legacy = JobSettings.builder().bootstrapServers("b").startFrom(JobSettings.StartFrom.LATEST)
                .bounded(true).build();
        assertThat(legacy.startPosition().kind()).isEqualTo(StartPosition.Kind.LATEST);
        assertThat(legacy.stopAt()).isEqualTo(StopPosition.LATEST);
        assertThat(JobSettings.builder().bootstrapServers("b").build().stopAt()).isNull();
    }
}
