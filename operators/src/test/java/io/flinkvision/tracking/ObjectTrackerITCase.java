package io.flinkvision.tracking;

import static io.flinkvision.tracking.Scenes.frame;
import static io.flinkvision.tracking.Scenes.personAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ObjectTracker} on a real Flink MiniCluster (parallelism 2, keyed by camera over the network): three cameras,
 * each with two people walking towards each other and crossing, frames sent out of order (pairs swapped) with event
 * time from the capture timestamps. Every record comes out once, in frame order per camera, with the same two track
 * ids per camera through the crossing, and each track has one 'started' and one 'ended' event.
 */
class ObjectTrackerITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final int FRAMES = 40;

    @Test
    void tracksPerCameraInKeyedStateInFrameOrder() throws Exception {
        List<FrameDetections> input = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            for (String cam : List.of("cam-0", "cam-1", "cam-2")) {
                int k = i % 4 == 2 ? i + 1 : i % 4 == 3 ? i - 1 : i; // 0 1 3 2 4 5 7 6 ...
                input.add(frame(cam, k, personAt(0.9f, 50 + 10 * k, 200), personAt(0.8f, 450 - 10 * k, 204)));
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<FrameDetections> frames = env.fromData(input).assignTimestampsAndWatermarks(
                WatermarkStrategy.<FrameDetections>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                        .withTimestampAssigner((f, ts) -> f.getCaptureTimestampMs()));
        SingleOutputStreamOperator<FrameDetections> tracked = frames.keyBy(FrameDetections::getCameraId)
                .process(new ObjectTracker(TrackerConfig.DEFAULTS)).name("tracker");
        DataStream<String> lines = tracked.map(ObjectTrackerITCase::line)
                .union(tracked.getSideOutput(ObjectTracker.TRACK_EVENTS)
                        .map(e -> "E " + e.getCameraId() + " " + e.getType() + " " + e.getTrackId()));
        List<String> out = new ArrayList<>();
        lines.executeAndCollect("tracker-itcase").forEachRemaining(out::add);

        Map<String, List<Long>> order = new HashMap<>();
        Map<String, Set<String>> idsBySide = new HashMap<>();
        Map<String, List<String>> events = new HashMap<>();
        for (String l : out) {
            String[] p = l.split(" ");
            if (p[0].equals("D")) {
                order.computeIfAbsent(p[1], c -> new ArrayList<>()).add(Long.parseLong(p[2]));
                if (Long.parseLong(p[2]) > 0) {
                    idsBySide.computeIfAbsent(p[1] + " left", c -> new TreeSet<>()).add(p[3]);
                    idsBySide.computeIfAbsent(p[1] + " right", c -> new TreeSet<>()).add(p[4]);
                }
            } else {
                events.computeIfAbsent(p[1], c -> new ArrayList<>()).add(p[2] + " " + p[3]);
            }
        }
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < FRAMES; i++) {
            expected.add(i);
        }
        assertThat(order).containsOnlyKeys("cam-0", "cam-1", "cam-2");
        assertThat(order.values()).allSatisfy(o -> assertThat(o).isEqualTo(expected));
        for (String cam : order.keySet()) {
            assertThat(idsBySide.get(cam + " left")).as(cam).containsExactly("1");
            assertThat(idsBySide.get(cam + " right")).as(cam).containsExactly("2");
            assertThat(events.get(cam)).as(cam).filteredOn(e -> !e.startsWith("updated"))
                    .containsExactlyInAnyOrder("started 1", "started 2", "ended 1", "ended 2");
        }
    }

    private static String line(FrameDetections f) {
        StringBuilder s = new StringBuilder("D " + f.getCameraId() + " " + f.getFrameIndex());
        for (Detection d : f.getDetections()) {
            s.append(' ').append(d.getTrackId());
        }
        return s.toString();
    }
}
