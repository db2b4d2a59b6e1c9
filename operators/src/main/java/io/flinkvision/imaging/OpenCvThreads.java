package io.flinkvision.imaging;

import org.apache.flink.annotation.Internal;
import org.bytedeco.opencv.global.opencv_core;

/**
 * OpenCV's own thread pool (the one its {@code resize} and codecs may split work over), which is JVM-wide: layers
 * above imaging set it here instead of calling OpenCV.
 */
@Internal
public final class OpenCvThreads {
    private OpenCvThreads() {}

    /**
     * Sets OpenCV's thread count ({@code cv::setNumThreads}) for the whole JVM.
     *
     * @param threads {@code >= 0} to set it (0 and 1: OpenCV runs its loops on the calling thread); negative (the
     *     options' {@code -1}) leaves OpenCV's default alone
     */
    public static void apply(int threads) {
        if (threads >= 0) {
            opencv_core.setNumThreads(threads);
        }
    }

    /** OpenCV's thread count now ({@code cv::getNumThreads}). */
    public static int current() {
        return opencv_core.getNumThreads();
    }
}
