package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GpuAssignment}: the subtasks of a TaskManager spread over all the GPUs Flink hands each of them, the least
 * used first, and a closed subtask's place is taken by the next one. Device ordinals 40+ keep these counts apart from
 * anything else in the test JVM.
 */
class GpuAssignmentTest {
    private final List<GpuAssignment.Lease> open = new ArrayList<>();

    /** A {@code gpu} resource as Flink's GPU driver describes one: an {@code index} property. */
    record Gpu(Map<String, String> properties) implements ExternalResourceInfo {
        static Gpu index(String i) {
            return new Gpu(Map.of("index", i));
        }

        @Override
        public Optional<String> getProperty(String key) {
            return Optional.ofNullable(properties.get(key));
        }

        @Override
        public Collection<String> getKeys() {
            return properties.keySet();
        }
    }

    @AfterEach
    void closeAll() {
        open.forEach(GpuAssignment.Lease::close);
    }

    private int acquire(Collection<Gpu> gpus, int configured) {
        GpuAssignment.Lease lease = GpuAssignment.acquire(gpus, configured);
        open.add(lease);
        return lease.device();
    }

    @Test
    void fourSubtasksOnTwoGpusTakeTwoEachWhateverTheSetOrder() {
        Set<Gpu> gpus = new LinkedHashSet<>(List.of(Gpu.index("41"), Gpu.index("40")));
        List<Integer> devices = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            devices.add(acquire(gpus, 0));
        }
        assertThat(devices).containsExactly(40, 41, 40, 41);
        assertThat(GpuAssignment.openOn(40)).isEqualTo(2);
        assertThat(GpuAssignment.openOn(41)).isEqualTo(2);
    }

    @Test
    void aClosedSubtasksPlaceGoesToTheNextOneAndClosingTwiceGivesItBackOnce() {
        Set<Gpu> gpus = Set.of(Gpu.index("42"), Gpu.index("43"));
        acquire(gpus, 0);
        GpuAssignment.Lease onSecond = GpuAssignment.acquire(gpus, 0);
        acquire(gpus, 0);
        assertThat(onSecond.device()).isEqualTo(43);
        assertThat(onSecond.describe()).contains("GPU 43 of the 2", "0 other subtask(s)");

        onSecond.close();
        onSecond.close();
        assertThat(GpuAssignment.openOn(43)).isZero();
        assertThat(acquire(gpus, 0)).as("the restarted subtask takes the freed GPU").isEqualTo(43);
        assertThat(GpuAssignment.openOn(42)).isEqualTo(2);
        assertThat(GpuAssignment.openOn(43)).isEqualTo(1);
    }

    @Test
    void withoutAGpuResourceTheConfiguredIndexIsUsedAndNotCounted() {
        GpuAssignment.Lease lease = GpuAssignment.acquire(Set.of(), 44);
        open.add(lease);
        assertThat(lease.device()).isEqualTo(44);
        assertThat(lease.fromResource()).isFalse();
        assertThat(lease.describe()).contains("configured device index 44");
        assertThat(GpuAssignment.openOn(44)).isZero();

        assertThat(acquire(Set.of(new Gpu(Map.of("uuid", "GPU-1234"))), 45))
                .as("a resource without an index property is ignored").isEqualTo(45);
        assertThat(GpuAssignment.openOn(45)).isZero();
    }

    @Test
    void anIndexThatIsNotADeviceOrdinalIsAClearError() {
        assertThatThrownBy(() -> GpuAssignment.acquire(Set.of(Gpu.index("gpu0")), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 'gpu0'");
        assertThatThrownBy(() -> GpuAssignment.acquire(Set.of(Gpu.index("-1")), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index '-1'");
    }
}
