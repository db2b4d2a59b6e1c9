package io.flinkvision.jobs.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.flink.InferenceMetrics;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Static checks of the deployment files (no Docker engine or Kubernetes cluster needed): docker/flink-conf/config.yaml
 * is read by Flink's own parser and its keys are Flink 2.2 options; every image in docker/ and k8s/ is pinned to a
 * version; the compose file reserves a GPU for the TaskManager and runs Kafka in KRaft mode; the Prometheus, alert and
 * Grafana files use the operator's metric names; the FlinkDeployment requests nvidia.com/gpu consistently.
 */
class DeploymentFilesTest {
    /** The operator's metrics (metric group {@link InferenceMetrics#GROUP}). */
    static final Set<String> OPERATOR_METRICS = Set.of("batchSize", "queueDelayMs", "engineTimeMs", "h2dMs",
            "computeMs", "d2hMs", "endToEndLatencyMs", "framesPerSecond", "detectionsPerSecond",
            "deadLettersPerSecond", "timeoutsPerSecond", "batchesInFlight", "deviceMemoryUsedBytes",
            "launchToOutputMs", "dispatchBusyRatio");
    private static final Pattern METRIC_REF = Pattern.compile("flink_taskmanager_job_task_operator_([A-Za-z0-9]+)_([A-Za-z0-9_]+)");

    private static Path root;
    private static final Load YAML = new Load(LoadSettings.builder().build());

    @BeforeAll
    static void findRoot() {
        Path p = Paths.get("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("docker/docker-compose.yml"))) {
            p = p.getParent();
        }
        assertThat(p).as("repository root with docker/docker-compose.yml above %s", Paths.get("").toAbsolutePath())
                .isNotNull();
        root = p;
    }

    private static String read(String path) throws IOException {
        return Files.readString(root.resolve(path));
    }

    /** Loads a YAML file; YAML 1.1 merge keys ({@code <<: *anchor}, used by the compose file) are applied. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(String path) throws IOException {
        return (Map<String, Object>) merged(YAML.loadFromString(read(path)));
    }

    @SuppressWarnings("unchecked")
    private static Object merged(Object node) {
        if (node instanceof Map) {
            Map<String, Object> in = (Map<String, Object>) node;
            Map<String, Object> out = new LinkedHashMap<>();
            if (in.get("<<") instanceof Map) {
                ((Map<String, Object>) merged(in.get("<<"))).forEach(out::put);
            }
            in.forEach((k, v) -> {
                if (!"<<".equals(k)) {
                    out.put(k, merged(v));
                }
            });
            return out;
        }
        if (node instanceof List) {
            return ((List<Object>) node).stream().map(DeploymentFilesTest::merged).collect(Collectors.toList());
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object n = node;
        for (String k : path) {
            assertThat(n).as("parent of '%s' in path %s", k, List.of(path)).isInstanceOf(Map.class);
            n = ((Map<String, Object>) n).get(k);
        }
        return (T) n;
    }

    // ---------------------------------------------------------------- Flink configuration

    @Test
    void flinkConfigEnablesGpuPrometheusCheckpointingAndParentFirstNatives() {
        Configuration c = GlobalConfiguration.loadConfiguration(root.resolve("docker/flink-conf").toString());

        assertThat(c.get(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST)).containsExactly("gpu");
        assertThat(c.getString(ExternalResourceOptions.getAmountConfigOptionForResource("gpu"), null)).isEqualTo("1");
        assertThat(c.getString("external-resource.gpu.driver-factory.class", null))
                .isEqualTo("org.apache.flink.externalresource.gpu.GPUDriverFactory");
        assertThat(c.getString("external-resource.gpu.param.discovery-script.path", null))
                .isEqualTo("plugins/external-resource-gpu/nvidia-gpu-discovery.sh");
        assertThat(c.getString(
                ExternalResourceOptions.getSystemConfigKeyConfigOptionForResource("gpu", "kubernetes.config-key"), null))
                .isEqualTo("nvidia.com/gpu");

        assertThat(c.getString("metrics.reporter.prom.factory.class", null))
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        assertThat(c.getString("metrics.reporter.prom.port", null)).isEqualTo("9249");

        assertThat(c.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isPositive();
        assertThat(c.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE)).isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).startsWith("file:///");
        assertThat(c.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).startsWith("file:///");
        assertThat(c.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("hashmap");
        // Below the broker's transaction.max.timeout.ms (docker-compose.yml: 15 min).
        assertThat(c.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT)).isLessThanOrEqualTo(Duration.ofMinutes(15));

        assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL))
                .contains("org.bytedeco", "ai.onnxruntime");
        assertThat(c.get(CoreOptions.FLINK_JVM_OPTIONS)).contains("--add-opens=java.base/java.util=ALL-UNNAMED");
        assertThat(c.get(CoreOptions.FLINK_TM_JVM_OPTIONS)).contains("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
        assertThat(c.get(TaskManagerOptions.NUM_TASK_SLOTS)).isGreaterThanOrEqualTo(1);
        assertThat(c.get(RestOptions.ADDRESS)).isEqualTo("jobmanager");
        assertThat(c.get(WebOptions.SUBMIT_ENABLE)).isFalse();
    }

    @Test
    void flinkConfigHasNoUnknownKeys() throws Exception {
        Set<String> known = knownFlinkKeys();
        Map<String, Object> raw = yaml("docker/flink-conf/config.yaml");
        Set<String> keys = new TreeSet<>();
        flatten("", raw, keys);
        List<String> unknown = new ArrayList<>();
        for (String k : keys) {
            boolean dynamic = k.startsWith("external-resource.gpu.") || k.startsWith("metrics.reporter.prom.");
            if (!dynamic && !known.contains(k)) {
                unknown.add(k);
            }
        }
        assertThat(unknown).as("keys that are no Flink 2.2 option (typo or removed option)").isEmpty();
        assertThat(keys).hasSizeGreaterThan(20);
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> map, Set<String> out) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map) {
                flatten(key, (Map<String, Object>) e.getValue(), out);
            } else {
                out.add(key);
            }
        }
    }

    /** Keys (and fallback keys) of the public Flink option classes this configuration uses. */
    private static Set<String> knownFlinkKeys() throws IllegalAccessException {
        Set<String> keys = new HashSet<>();
        for (Class<?> cls : List.of(CoreOptions.class, CheckpointingOptions.class, StateBackendOptions.class,
                RestartStrategyOptions.class, TaskManagerOptions.class, JobManagerOptions.class, RestOptions.class,
                WebOptions.class, ExternalResourceOptions.class, MetricOptions.class)) {
            for (Field f : cls.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                    ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                    keys.add(o.key());
                    o.fallbackKeys().forEach(fk -> keys.add(fk.getKey()));
                }
            }
        }
        return keys;
    }

    // ---------------------------------------------------------------- pinned images

    /** A tag that names a version (has a digit, is not "latest"), or a digest. */
    static boolean pinned(String image) {
        if (image.contains("@sha256:")) {
            return true;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        if (colon <= slash) {
            return false; // no tag: means latest
        }
        String tag = image.substring(colon + 1);
        return !tag.contains("latest") && tag.matches(".*\\d.*") && !tag.contains("$");
    }

    @Test
    void pinnedRule() {
        assertThat(pinned("flink:2.2.1-scala_2.12-java17")).isTrue();
        assertThat(pinned("registry:5000/team/img:1.0")).isTrue();
        assertThat(pinned("busybox@sha256:abc")).isTrue();
        assertThat(pinned("registry:5000/team/img")).isFalse();
        assertThat(pinned("grafana/grafana")).isFalse();
        assertThat(pinned("grafana/grafana:latest")).isFalse();
        assertThat(pinned("nginx:stable")).isFalse();
    }

    @Test
    void everyComposeImageIsPinned() throws IOException {
        Map<String, Object> services = at(yaml("docker/docker-compose.yml"), "services");
        Map<String, String> images = new LinkedHashMap<>();
        for (Map.Entry<String, Object> s : services.entrySet()) {
            String image = at(s.getValue(), "image");
            assertThat(image).as("service %s has an image (built services are tagged too)", s.getKey()).isNotNull();
            images.put(s.getKey(), image);
        }
        assertThat(images).allSatisfy((service, image) ->
                assertThat(pinned(image)).as("image of %s: %s", service, image).isTrue());
        assertThat(images).containsKeys("kafka", "jobmanager", "taskmanager", "job-submit", "producer", "dashboard",
                "prometheus", "grafana");
    }

    @Test
    void everyDockerfileBaseImageIsPinnedAndMatchesTheJavaCppLine() throws IOException {
        String dockerfile = read("docker/Dockerfile");
        Map<String, String> args = new LinkedHashMap<>();
        Matcher arg = Pattern.compile("(?m)^ARG\\s+(\\w+)=(\\S+)").matcher(dockerfile);
        while (arg.find()) {
            args.put(arg.group(1), arg.group(2));
        }
        Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\w+))?").matcher(dockerfile);
        Set<String> stages = new HashSet<>();
        List<String> bases = new ArrayList<>();
        while (from.find()) {
            String image = from.group(1);
            Matcher var = Pattern.compile("\\$\\{(\\w+)}").matcher(image);
            StringBuilder resolved = new StringBuilder();
            while (var.find()) {
                var.appendReplacement(resolved, Matcher.quoteReplacement(args.getOrDefault(var.group(1), "$")));
            }
            var.appendTail(resolved);
            if (!stages.contains(resolved.toString())) {
                bases.add(resolved.toString());
            }
            if (from.group(2) != null) {
                stages.add(from.group(2));
            }
        }
        assertThat(bases).hasSize(3).allSatisfy(b -> assertThat(pinned(b)).as("FROM %s", b).isTrue());
        assertThat(bases).anySatisfy(b -> assertThat(b).startsWith("flink:2.2.1-").contains("java17"));

        // CUDA and TensorRT of the image = the versions of the JavaCPP presets in the parent pom.
        String pom = read("pom.xml");
        String cuda = property(pom, "cuda.version");       // e.g. 12.6-9.5-1.5.11
        String tensorrt = property(pom, "tensorrt.version"); // e.g. 10.6-1.5.11
        String cudaMajorMinor = cuda.substring(0, cuda.indexOf('-'));
        String trtMajorMinor = tensorrt.substring(0, tensorrt.indexOf('-'));
        assertThat(args.get("CUDA_IMAGE")).startsWith("nvidia/cuda:" + cudaMajorMinor + ".");
        assertThat(args.get("TENSORRT_VERSION")).startsWith(trtMajorMinor + ".").endsWith("+cuda" + cudaMajorMinor);
        assertThat(dockerfile).contains("libnvinfer10=${TENSORRT_VERSION}")
                .contains("COPY --chown=flink:flink docker/flink-conf/config.yaml /opt/flink/conf/config.yaml")
                .contains("cp jobs/target/flink-lib/*.jar /out/lib/")
                .contains("/opt/flink/lib/");
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(m.find()).as("property %s in pom.xml", name).isTrue();
        return m.group(1).trim();
    }

    @Test
    void everyKubernetesImageIsPinned() throws IOException {
        List<String> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).collect(Collectors.toList())) {
                for (Object doc : YAML.loadAllFromString(Files.readString(f))) {
                    collectImages(doc, images);
                }
            }
        }
        assertThat(images).isNotEmpty().allSatisfy(i -> assertThat(pinned(i)).as("k8s image %s", i).isTrue());
    }

    @SuppressWarnings("unchecked")
    private static void collectImages(Object node, List<String> out) {
        if (node instanceof Map) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) node).entrySet()) {
                if (e.getKey().equals("image") && e.getValue() instanceof String) {
                    out.add((String) e.getValue());
                } else {
                    collectImages(e.getValue(), out);
                }
            }
        } else if (node instanceof List) {
            ((List<Object>) node).forEach(n -> collectImages(n, out));
        }
    }

    // ---------------------------------------------------------------- compose structure

    @Test
    void composeReservesAGpuRunsKraftAndPublishesOnLoopbackOnly() throws IOException {
        Map<String, Object> compose = yaml("docker/docker-compose.yml");
        Map<String, Object> services = at(compose, "services");

        List<Map<String, Object>> devices = at(services.get("taskmanager"), "deploy", "resources", "reservations",
                "devices");
        assertThat(devices).hasSize(1);
        assertThat(devices.get(0)).containsEntry("driver", "nvidia").containsEntry("count", 1);
        assertThat((List<String>) at(devices.get(0), "capabilities")).containsExactly("gpu");

        Map<String, Object> kafkaEnv = at(services.get("kafka"), "environment");
        assertThat((String) at(services.get("kafka"), "image")).startsWith("apache/kafka:");
        assertThat(String.valueOf(kafkaEnv.get("KAFKA_PROCESS_ROLES"))).contains("controller").contains("broker");
        assertThat(Long.parseLong(String.valueOf(kafkaEnv.get("KAFKA_TRANSACTION_MAX_TIMEOUT_MS"))))
                .isGreaterThanOrEqualTo(Duration.ofMinutes(10).toMillis());

        String submit = String.join(" ", (List<String>) at(services.get("job-submit"), "command"));
        assertThat(submit).contains("flink run").contains("-c io.flinkvision.jobs.VideoInferenceJob")
                .contains("/opt/flink/usrlib/video-inference-flink.jar");
        List<String> dashboard = at(services.get("dashboard"), "command");
        assertThat(dashboard).startsWith("dashboard").contains("--bootstrap-servers", "--port", "8088");
        assertThat(String.join(" ", (List<String>) at(services.get("producer"), "command"))).startsWith("produce ");

        for (Map.Entry<String, Object> s : services.entrySet()) {
            List<Object> ports = at(s.getValue(), "ports");
            if (ports != null) {
                assertThat(ports).allSatisfy(p -> assertThat(String.valueOf(p)).as("port of %s", s.getKey())
                        .startsWith("127.0.0.1:"));
            }
        }
    }

    // ---------------------------------------------------------------- Prometheus and Grafana

    @Test
    void prometheusScrapesTheReporterPortAndAlertsUseOperatorMetrics() throws IOException {
        Configuration c = GlobalConfiguration.loadConfiguration(root.resolve("docker/flink-conf").toString());
        String port = c.getString("metrics.reporter.prom.port", null);
        String prometheus = read("docker/prometheus/prometheus.yml");
        assertThat(prometheus).contains("jobmanager:" + port).contains("port: " + port);
        Map<String, Object> alerts = yaml("docker/prometheus/alerts.yml");
        assertThat((List<Object>) at(alerts, "groups")).isNotEmpty();
        assertOperatorMetricNames(read("docker/prometheus/alerts.yml"), 3);
    }

    @Test
    void grafanaIsProvisionedWithTheOperatorDashboard() throws IOException {
        Map<String, Object> ds = yaml("docker/grafana/provisioning/datasources/prometheus.yml");
        List<Map<String, Object>> sources = at(ds, "datasources");
        String uid = (String) sources.get(0).get("uid");
        assertThat(sources.get(0)).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
        Map<String, Object> providers = yaml("docker/grafana/provisioning/dashboards/flinkvision.yml");
        assertThat((String) at(((List<Object>) at(providers, "providers")).get(0), "options", "path"))
                .isEqualTo("/var/lib/grafana/dashboards");

        String json = read("docker/grafana/dashboards/flinkvision.json");
        JsonNode dashboard = new ObjectMapper().readTree(json);
        assertThat(dashboard.get("uid").asText()).isNotBlank();
        Set<String> panelUids = new HashSet<>();
        for (JsonNode p : dashboard.get("panels")) {
            if (p.has("datasource")) {
                panelUids.add(p.get("datasource").get("uid").asText());
            }
        }
        assertThat(panelUids).containsExactly(uid);
        // Every operator metric of the issue is charted.
        Set<String> used = assertOperatorMetricNames(json, 10);
        assertThat(used).containsAll(Set.of("batchSize", "queueDelayMs", "engineTimeMs", "h2dMs", "computeMs",
                "d2hMs", "endToEndLatencyMs", "framesPerSecond", "detectionsPerSecond", "deadLettersPerSecond",
                "batchesInFlight", "deviceMemoryUsedBytes", "launchToOutputMs", "dispatchBusyRatio"));
    }

    /** Every operator metric referenced in {@code text} is one the operator registers, in its metric group. */
    private static Set<String> assertOperatorMetricNames(String text, int atLeast) {
        Matcher m = METRIC_REF.matcher(text);
        Set<String> used = new TreeSet<>();
        while (m.find()) {
            assertThat(m.group(1)).isEqualTo(InferenceMetrics.GROUP);
            assertThat(OPERATOR_METRICS).as("metric name in %s", m.group()).contains(m.group(2));
            used.add(m.group(2));
        }
        assertThat(used.size()).isGreaterThanOrEqualTo(atLeast);
        return used;
    }

    // ---------------------------------------------------------------- Kubernetes

    @Test
    @SuppressWarnings("unchecked")
    void flinkDeploymentRequestsOneGpuPerTaskManager() throws IOException {
        Map<String, Object> deployment = null;
        for (Object doc : YAML.loadAllFromString(read("k8s/flink-deployment.yaml"))) {
            if ("FlinkDeployment".equals(((Map<String, Object>) doc).get("kind"))) {
                deployment = (Map<String, Object>) doc;
            }
        }
        assertThat(deployment).isNotNull();
        assertThat((String) at(deployment, "apiVersion")).isEqualTo("flink.apache.org/v1beta1");
        Map<String, String> flinkConf = new LinkedHashMap<>();
        ((Map<String, Object>) at(deployment, "spec", "flinkConfiguration"))
                .forEach((k, v) -> flinkConf.put(k, String.valueOf(v)));
        Configuration c = Configuration.fromMap(flinkConf);
        assertThat(c.get(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST)).containsExactly("gpu");
        assertThat(flinkConf).containsEntry("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu")
                .containsEntry("external-resource.gpu.driver-factory.class",
                        "org.apache.flink.externalresource.gpu.GPUDriverFactory");
        assertThat(c.get(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL)).contains("org.bytedeco");
        assertThat(c.getString("metrics.reporter.prom.factory.class", ""))
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");

        List<Map<String, Object>> containers = at(deployment, "spec", "taskManager", "podTemplate", "spec",
                "containers");
        Map<String, Object> main = containers.stream().filter(x -> "flink-main-container".equals(x.get("name")))
                .findFirst().orElseThrow();
        Object gpuLimit = at(main, "resources", "limits", "nvidia.com/gpu");
        assertThat(String.valueOf(gpuLimit)).isEqualTo(flinkConf.get("external-resource.gpu.amount"));

        assertThat((String) at(deployment, "spec", "job", "jarURI"))
                .isEqualTo("local:///opt/flink/usrlib/video-inference-flink.jar");
        assertThat((String) at(deployment, "spec", "job", "entryClass"))
                .isEqualTo("io.flinkvision.jobs.VideoInferenceJob");
        assertThat((String) at(deployment, "spec", "flinkVersion")).isEqualTo("v2_2");
    }
}
