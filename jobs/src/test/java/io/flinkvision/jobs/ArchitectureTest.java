package io.flinkvision.jobs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.annotation.Experimental;
import org.apache.flink.annotation.Internal;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The layer rules of the house, checked on the compiled main classes of both modules (tests excluded). Bottom to top:
 * {@code tensor}, {@code frame} -> {@code detection}, {@code imaging}, {@code postprocess} -> {@code engine} (with
 * {@code engine.onnxruntime} and {@code engine.tensorrt}) -> {@code batching} -> {@code pipeline}; {@code verification},
 * {@code tracking} -> {@code flink} -> {@code jobs}. {@code pipeline} is used by {@code flink} and {@code jobs} only;
 * OpenCV is called from {@code imaging}, never from {@code batching}, {@code pipeline} or {@code flink}. Each rule is
 * one test; a failure names the offending classes and the dependency. Flink's own annotations
 * ({@code org.apache.flink.annotation}) do not count as depending on Flink. Every public top-level type of the operators
 * library states its API stability with exactly one of {@code @PublicEvolving}, {@code @Internal} or
 * {@code @Experimental}, and nothing outside {@code engine.tensorrt} uses an {@code @Internal} type of it.
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

    @ArchTest
    static final ArchRule publicTypesDeclareTheirApiStability = classes().that().resideInAPackage("io.flinkvision..")
            .and().resideOutsideOfPackage("io.flinkvision.jobs..")
            .and().areTopLevelClasses().and().arePublic().and().doNotHaveSimpleName("package-info")
            .should(beAnnotatedWithExactlyOneOf(List.of(PublicEvolving.class, Internal.class, Experimental.class)))
            .because("the operators library's public API is what is @PublicEvolving (or @Experimental); @Internal types"
                    + " are public only for another package of this project");

    @ArchTest
    static final ArchRule tensorrtInternalsStayInTensorrt = noClasses().that()
            .resideOutsideOfPackage("io.flinkvision.engine.tensorrt..")
            .should().dependOnClassesThat(DescribedPredicate.describe("are @Internal types of engine.tensorrt",
                    c -> (c.getPackageName().equals("io.flinkvision.engine.tensorrt")
                            || c.getPackageName().startsWith("io.flinkvision.engine.tensorrt."))
                            && topLevel(c).isAnnotatedWith(Internal.class)))
            .because("the TensorRT backend is reached through InferenceEngines (TrtEngineFactory is a Java service);"
                    + " only its @Experimental SharedPlanStore is implemented outside it");

    /** Leaves out the operators test jar (its fixtures and GPU check programs are test code, not layers). */
    static final class NoTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar");
        }
    }

    /** Holds for a class that carries exactly one of {@code annotations} (directly, not inherited). */
    private static ArchCondition<JavaClass> beAnnotatedWithExactlyOneOf(List<Class<? extends Annotation>> annotations) {
        String names = annotations.stream().map(a -> "@" + a.getSimpleName()).collect(Collectors.joining(", "));
        return new ArchCondition<>("be annotated with exactly one of " + names) {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                List<String> found = annotations.stream().filter(c::isAnnotatedWith)
                        .map(a -> "@" + a.getSimpleName()).toList();
                if (found.size() != 1) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + " is annotated with "
                            + (found.isEmpty() ? "none" : String.join(" and ", found)) + " of " + names));
                }
            }
        };
    }

    /** The top-level class that {@code c} is nested in, or {@code c} itself. */
    private static JavaClass topLevel(JavaClass c) {
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top;
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
