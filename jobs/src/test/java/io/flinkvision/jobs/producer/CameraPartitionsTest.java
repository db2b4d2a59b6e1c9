package io.flinkvision.jobs.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link CameraPartitions}: balanced and independent of the order the ids are given in. */
class CameraPartitionsTest {

    @Test
    void dealsTheCamerasOfTheIssueEvenlyOverThreePartitions() {
        // Kafka's key hash puts all six on partition 0 of 3.
        List<String> ids = List.of("cam-a", "cam-b", "cam-c", "cam-d", "cam-0", "cam-1");
        CameraPartitions p = CameraPartitions.of(ids, 3);
        assertThat(camerasPerPartition(p.asMap())).containsExactly(Map.entry(0, 2L), Map.entry(1, 2L),
                Map.entry(2, 2L));
        assertThat(CameraPartitions.of(List.of("cam-1", "cam-d", "cam-0", "cam-c", "cam-b", "cam-a", "cam-a"), 3)
                .asMap()).isEqualTo(p.asMap());
        assertThat(p.partition("cam-0")).isEqualTo(0);
        assertThat(p.partition("cam-1")).isEqualTo(1);
        assertThat(p.partitions()).isEqualTo(3);
    }

    @Test
    void unevenCountsDifferByAtMostOne() {
        Map<String, Integer> m = CameraPartitions.of(List.of("a", "b", "c", "d", "e", "f", "g"), 3).asMap();
        assertThat(camerasPerPartition(m).values()).containsExactly(3L, 2L, 2L);
        assertThat(CameraPartitions.of(List.of("only"), 4).partition("only")).isZero();
    }

    @Test
    void rejectsUnknownCamerasAndBadArguments() {
        CameraPartitions p = CameraPartitions.of(List.of("a"), 2);
        assertThatThrownBy(() -> p.partition("b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'b'");
        assertThatThrownBy(() -> CameraPartitions.of(List.of(), 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CameraPartitions.of(List.of("a"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CameraPartitions.of(List.of(" "), 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reconnectDelaysGrowExponentiallyWithinTheirJitterBounds() {
        ReconnectPolicy r = new ReconnectPolicy(5, 100, 1_000);
        for (int i = 0; i < 200; i++) {
            assertThat(r.delayMs(0)).isBetween(50L, 100L);
            assertThat(r.delayMs(2)).isBetween(200L, 400L);
            assertThat(r.delayMs(10)).isBetween(500L, 1_000L);
            assertThat(r.delayMs(100)).isBetween(500L, 1_000L);
        }
        assertThatThrownBy(() -> new ReconnectPolicy(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectPolicy(1, 10, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Map<Integer, Long> camerasPerPartition(Map<String, Integer> assignment) {
        Collection<Integer> partitions = assignment.values();
        return partitions.stream().collect(Collectors.groupingBy(x -> x, java.util.TreeMap::new,
                Collectors.counting()));
    }
}
