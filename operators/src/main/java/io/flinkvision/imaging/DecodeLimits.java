package io.flinkvision.imaging;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Limits checked before a frame is decoded, so that one bad frame cannot exhaust a TaskManager's memory.
 *
 * @param maxFrameBytes largest encoded frame accepted, in bytes (default 16 MiB)
 * @param maxPixels largest declared image accepted, in pixels (width * height; default 40 megapixels: a decoded 40 MP
 *     BGR image is 120 MB)
 */
@PublicEvolving
public record DecodeLimits(int maxFrameBytes, long maxPixels) implements Serializable {
    /** 16 MiB per encoded frame, 40 megapixels per image. */
    public static final DecodeLimits DEFAULT = new DecodeLimits(16 * 1024 * 1024, 40_000_000L);

    public DecodeLimits {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("max frame bytes must be >= 1, got " + maxFrameBytes);
        }
        if (maxPixels < 4) {
            throw new IllegalArgumentException("max pixels must be >= 4, got " + maxPixels);
        }
    }
}
