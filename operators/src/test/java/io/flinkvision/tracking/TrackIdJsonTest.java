package io.flinkvision.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code trackId} in the detection record JSON: optional, so records from before tracking still read. */
class TrackIdJsonTest {
    @Test
    void oldRecordsWithoutTrackIdStillParse() throws Exception {
        String old = "{\"cameraId\":\"cam-0\",\"frameIndex\":100,\"detections\":[{\"classId\":0,\"label\":\"person\","
                + "\"score\":0.8,\"box\":{\"x1\":1,\"y1\":2,\"x2\":3,\"y2\":4}}],\"status\":\"ok\"}";
        FrameDetections f = DetectionJson.parse(old.getBytes(StandardCharsets.UTF_8));
        assertThat(f.getDetections()).singleElement().satisfies(d -> assertThat(d.getTrackId()).isNull());
    }

    @Test
    void trackIdIsWrittenWhenSetAndOmittedOtherwise() throws Exception {
        FrameDetections f = Scenes.frame("cam", 1, Scenes.personAt(0.9f, 10, 10), Scenes.personAt(0.9f, 100, 10));
        f.getDetections().get(0).setTrackId(17L);
        String json = new String(DetectionJson.toBytes(f), StandardCharsets.UTF_8);
        assertThat(json).contains("\"trackId\":17").containsOnlyOnce("trackId");
        assertThat(DetectionJson.parse(json.getBytes(StandardCharsets.UTF_8)).getDetections().get(0).getTrackId())
                .isEqualTo(17L);
    }
}
