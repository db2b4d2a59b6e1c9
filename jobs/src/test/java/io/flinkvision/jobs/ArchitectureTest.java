package io.flinkvision.jobs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer rules of the house, checked on the compiled main classes of both modules (tests excluded). Bottom to top:
 * {@code tensor}, {@code frame} -> {@code detection}, {@code imaging}, {@code postprocess} -> {@code engine} (with
 * {@code engine.onnxruntime} and {@code engine.tensorrt}) -> {@code batching} -> {@code pipeline}; {@code verification},
 * {@code tracking} -> {@code flink} -> {@code jobs}. {@code pipeline} is used by {@code flink} and {@code jobs} only;
 * OpenCV is called from {@code imaging}, never from {@code batching}, {@code pipeline} or {@code flink}. Each rule is
 * one test; a failure names the offending classes and the dependency. Flink's own annotations
 * ({@code org.apache.flink.annotation}) do not count as depending on Flink.
 */
@AnalyzeClasses(packages = "io.flinkvision",
        importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.NoTestJars.class})
class ArchitectureTest {
    private static final String FLINK = "org.apache.flink..";
    private static final String FLINK_ANNOTATIONS = "org.apache.flink.annotation..";

    @ArchTest
    static final ArchRule tensorIsTheBottom = noClasses().that().resideInAPackage("io.flinkvision.tensor..")
            .should().dependOnClassesThat().resideInAnyPackage(projectPackagesExcept("tensor"))
            .because("tensor/ holds the engine's input and output buffers, below imaging and postprocess");

    @ArchTest
    static final ArchRule frameImportsNoProjectPackage = noClasses().that().resideInAPackage("io.flinkvision.frame..")
            .should().dependOnClassesThat().resideInAnyPackage(projectPackagesExcept("frame"));

    @ArchTest
    static final ArchRule detectionPointsDownOnly = noClasses().that().resideInAPackage("io.flinkvision.detection..")
            .should().dependOnClassesThat().resideInAnyPackage(projectPackagesExcept("detection", "frame"));

    @ArchTest
    static final ArchRule imagingPointsDownOnly = noClasses().that().resideInAPackage("io.flinkvision.imaging..")
            .should().dependOnClassesThat().resideInAnyPackage(projectPackagesExcept("imaging", "frame", "tensor"));

    @ArchTest
    static final ArchRule postprocessPointsDownOnly = noClasses().that().resideInAPackage("io.flinkvision.postprocess..")
            .should().dependOnClassesThat()
            .resideInAnyPackage(projectPackagesExcept("postprocess", "tensor", "detection", "frame"));

    @ArchTest
    static final ArchRule enginePointsDownOnly = noClasses().that().resideInAPackage("io.flinkvision.engine..")
            .should().dependOnClassesThat()
            .resideInAnyPackage(projectPackagesExcept("engine", "tensor", "imaging", "frame"));

    @ArchTest
    static final ArchRule batchingKnowsNoFramesOrDetections = noClasses().that()
            .resideInAPackage("io.flinkvision.batching..")
            .should().dependOnClassesThat().resideInAnyPackage("io.flinkvision.pipeline..", "io.flinkvision.frame..",
                    "io.flinkvision.detection..")
            .because("batching/ is the generic micro-batcher; the per-frame path is pipeline/");

    @ArchTest
    static final ArchRule pipelinePointsDownOnly = noClasses().that().resideInAPackage("io.flinkvision.pipeline..")
            .should().dependOnClassesThat().resideInAnyPackage(projectPackagesExcept("pipeline", "batching", "engine",
                    "imaging", "postprocess", "detection", "frame", "tensor"));

    @ArchTest
    static final ArchRule pipelineIsUsedOnlyByFlinkAndJobs = noClasses().that()
            .resideOutsideOfPackages("io.flinkvision.pipeline..", "io.flinkvision.flink..", "io.flinkvision.jobs..")
            .should().dependOnClassesThat().resideInAPackage("io.flinkvision.pipeline..");

    @ArchTest
    static final ArchRule openCvOnlyThroughImaging = noClasses().that()
            .resideInAnyPackage("io.flinkvision.pipeline..", "io.flinkvision.batching..", "io.flinkvision.flink..")
            .should().dependOnClassesThat().resideInAPackage("org.bytedeco.opencv..")
            .because("decoding, letterboxing and OpenCV's thread pool are imaging/'s (ImageDecoder, OpenCvThreads)");

    @ArchTest
    static final ArchRule onlyFlinkAndJobsAndTrackingUseFlink = noClasses().that()
            .resideInAnyPackage("io.flinkvision.tensor..", "io.flinkvision.frame..", "io.flinkvision.detection..",
                    "io.flinkvision.imaging..", "io.flinkvision.postprocess..", "io.flinkvision.engine..",
                    "io.flinkvision.batching..", "io.flinkvision.pipeline..", "io.flinkvision.verification..")
            .should().dependOnClassesThat(
                    DescribedPredicate.describe("are Flink classes (not its annotations)",
                            c -> c.getPackageName().startsWith("org.apache.flink")
                                    && !c.getPackageName().startsWith("org.apache.flink.annotation")))
            .because("the engine and everything below it run without Flink (detect, benchmark, verify)");

    @ArchTest
    static final ArchRule onlyTensorrtPackageUsesTensorrtAndCuda = noClasses().that()
            .resideOutsideOfPackage("io.flinkvision.engine.tensorrt..")
            .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco.tensorrt..", "org.bytedeco.cuda..");

    @ArchTest
    static final ArchRule nothingDependsOnJobs = noClasses().that()
            .resideOutsideOfPackages("io.flinkvision.jobs..")
            .should().dependOnClassesThat().resideInAPackage("io.flinkvision.jobs..")
            .because("jobs/ holds the entry points, on top of everything");

    @ArchTest
    static final ArchRule jobsUseNoTensorrtClass = noClasses().that().resideInAPackage("io.flinkvision.jobs..")
            .should().dependOnClassesThat().resideInAPackage("io.flinkvision.engine.tensorrt..")
            .because("the entry points reach the TensorRT backend through InferenceEngines and the engine's"
                    + " DeviceProbe, never its classes");

    @ArchTest
    static final ArchRule flinkLayerIsUsedOnlyByJobs = noClasses().that()
            .resideOutsideOfPackages("io.flinkvision.flink..", "io.flinkvision.jobs..")
            .should().dependOnClassesThat().resideInAPackage("io.flinkvision.flink..");

    @ArchTest
    static final ArchRule topLevelPackagesAreFreeOfCycles = slices().matching("io.flinkvision.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule tensorrtSubpackagesAreFreeOfCycles = slices()
            .matching("io.flinkvision.engine.tensorrt.(*)..").should().beFreeOfCycles();

    /** Leaves out the operators test jar (its fixtures and GPU check programs are test code, not layers). */
    static final class NoTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar");
        }
    }

    /** {@code io.flinkvision.<p>..} for every top-level project package but {@code allowed}. */
    private static String[] projectPackagesExcept(String... allowed) {
        List<String> all = new ArrayList<>(List.of("tensor", "frame", "detection",
                "imaging", "postprocess", "engine", "batching", "pipeline", "verification", "tracking", "flink",
                "jobs"));
        all.removeAll(List.of(allowed));
        return all.stream().map(p -> "io.flinkvision." + p + "..").toArray(String[]::new);
    }
}
