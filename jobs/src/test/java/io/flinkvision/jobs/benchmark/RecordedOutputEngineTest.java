package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

/**
 * The host-ceiling engine on the ONNX Runtime engine's recorded output: every image of a batch gets the recorded
 * {@code [rows, columns]}, a slot stays busy until its output is closed, and a closed engine takes no batch.
 */
class RecordedOutputEngineTest {
    /** Bound on every wait for something that must happen (generous: the machine may be loaded), seconds. */
    private static final long WAIT_S = 120;

    @Test
    void answersEveryImageWithTheRecordedOutputAndHoldsTheSlotUntilTheOutputIsClosed() throws Exception {
        try (InferenceEngine real = InferenceEngines.open(EngineSpec.builder().maxBatchSize(2).maxInFlight(2)
                .intraOpThreads(1).build());
                Mat frame = new Mat(48, 64, CV_8UC3, new Scalar(40, 120, 200, 0))) {
            RecordedOutputEngine recorded = RecordedOutputEngine.record(real, frame, false);
            int perImage = real.info().outputRows() * real.info().outputColumns();
            InputBatch a = recorded.acquire();
            a.setSize(2);
            InputBatch b = recorded.acquire();
            b.setSize(1);
            CompletableFuture<OutputBatch> fa = recorded.submit(a);
            CompletableFuture<OutputBatch> fb = recorded.submit(b);
            OutputBatch outA = fa.get(WAIT_S, TimeUnit.SECONDS);
            OutputBatch outB = fb.get(WAIT_S, TimeUnit.SECONDS);
            assertThat(outA.size()).isEqualTo(2);
            float[] first = new float[perImage];
            float[] second = new float[perImage];
            outA.data().duplicate().position(outA.offset(0)).get(first);
            outA.data().duplicate().position(outA.offset(1)).get(second);
            assertThat(second).containsExactly(first);
            CompletableFuture<InputBatch> third = CompletableFuture.supplyAsync(() -> {
                try {
                    return recorded.acquire();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            assertThat(third).isNotDone(); // both slots held by unclosed outputs
            outA.close();
            InputBatch c = third.get(WAIT_S, TimeUnit.SECONDS);
            recorded.release(c);
            outB.close();
            recorded.close();
            assertThatThrownBy(recorded::acquire).isInstanceOf(IllegalStateException.class)
                    .hasMessage("engine is closed");
        }
    }
}
