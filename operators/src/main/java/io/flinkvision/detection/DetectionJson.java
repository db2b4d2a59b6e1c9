package io.flinkvision.detection;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.flink.annotation.PublicEvolving;

/** The JSON form of detection records (README, "Detection records"): Jackson, null fields omitted. Thread-safe. */
@PublicEvolving
public final class DetectionJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private DetectionJson() {}

    /** The shared mapper (do not reconfigure). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serializes a record to UTF-8 JSON bytes; throws IllegalStateException if Jackson fails (a bug). */
    public static byte[] toBytes(Object record) {
        try {
            return MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + record.getClass().getSimpleName() + ": " + e, e);
        }
    }

    /** Parses a detection record; throws IOException on malformed JSON. */
    public static FrameDetections parse(byte[] json) throws IOException {
        return MAPPER.readValue(json, FrameDetections.class);
    }
}
