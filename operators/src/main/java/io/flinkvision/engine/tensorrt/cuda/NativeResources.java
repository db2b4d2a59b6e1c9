package io.flinkvision.engine.tensorrt.cuda;

import io.flinkvision.engine.InferenceException;
import org.apache.flink.annotation.Internal;

/** Closing groups of native resources (CUDA buffers, streams, events) so that one failure does not leak the rest. */
@Internal
public final class NativeResources {
    private NativeResources() {}

    /**
     * Closes every non-null resource in order, even when some fail.
     *
     * @param first an earlier failure to report, or null
     * @param resources what to close; nulls are skipped
     * @return {@code first}, else the first failure while closing (checked exceptions wrapped in
     *     {@link InferenceException}), else null
     */
    public static RuntimeException closeAll(RuntimeException first, AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException ? (RuntimeException) e : new InferenceException(e.toString(), e);
                }
            }
        }
        return first;
    }
}
