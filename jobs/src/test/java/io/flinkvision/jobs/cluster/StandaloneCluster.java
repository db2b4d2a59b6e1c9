package io.flinkvision.jobs.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;

/**
 * A standalone Flink session cluster of one JobManager and one TaskManager, each its own JVM, started as
 * {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh} of a Flink 2.2 distribution start them: the class path is
 * every jar of a {@code lib/} folder (here the jars of the given folders, sorted by name, as the shell glob of
 * {@code config.sh} lists them), the heap and direct-memory flags and the TaskManager's memory settings come from
 * {@code org.apache.flink.runtime.util.bash.BashJavaUtils} ({@code GET_JM_RESOURCE_PARAMS},
 * {@code GET_TM_RESOURCE_PARAMS}, as {@code bash-java-utils.sh} runs it), then {@code env.java.opts.all} and
 * {@code env.java.opts.jobmanager/taskmanager} of the configuration, {@code -Dlog.file} and
 * {@code -Dlog4j.configurationFile}, and the entry points {@code StandaloneSessionClusterEntrypoint --configDir DIR
 * --executionMode cluster} and {@code TaskManagerRunner --configDir DIR <dynamic configs>} (see
 * {@code flink-daemon.sh}).
 *
 * <p>Each process writes {@code <name>.log} (log4j, INFO) and {@code <name>.out} (stdout and stderr) into
 * {@code log/} of the work folder; {@link #logTails} returns their last lines for failure messages. {@link #close}
 * stops both processes (SIGTERM, then SIGKILL after 20 s).
 */
final class StandaloneCluster implements AutoCloseable {
    static final String JOBMANAGER_ENTRYPOINT = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    static final String TASKMANAGER_ENTRYPOINT = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String EXEC_RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    private final Path confDir;
    private final Path logDir;
    private final String classPath;
    private final int restPort;
    private final Map<String, Process> processes = new LinkedHashMap<>();

    private StandaloneCluster(Path confDir, Path logDir, String classPath, int restPort) {
        this.confDir = confDir;
        this.logDir = logDir;
        this.classPath = classPath;
        this.restPort = restPort;
    }

    /**
     * Writes {@code conf/config.yaml} (loopback addresses, free RPC and REST ports, then {@code settings} in order,
     * then every line of {@code appendedConfig}, as a user appends a file to the distribution's config.yaml) and
     * {@code conf/log4j.properties} into {@code work}, and starts the JobManager and the TaskManager.
     *
     * @param work an empty folder for conf/, log/ and tmp/
     * @param libDirs folders whose jars make the class path of both processes (the distribution's lib/)
     * @param settings Flink options as key to YAML value
     * @param appendedConfig a YAML file appended verbatim to config.yaml
     * @return the started cluster (the processes may still be starting: see {@link #awaitTaskManagers})
     * @throws IOException when a file cannot be written or a process cannot be started
     * @throws IllegalStateException when BashJavaUtils fails (the message has its output)
     */
    static StandaloneCluster start(Path work, List<Path> libDirs, Map<String, String> settings, Path appendedConfig)
            throws IOException, InterruptedException {
        Path conf = Files.createDirectories(work.resolve("conf"));
        Path log = Files.createDirectories(work.resolve("log"));
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        int rpcPort = freePort();
        int restPort = freePort();
        StringBuilder yaml = new StringBuilder("# written by StandaloneCluster\n");
        Map<String, String> all = new LinkedHashMap<>();
        all.put("jobmanager.rpc.address", "127.0.0.1");
        all.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        all.put("jobmanager.bind-host", "127.0.0.1");
        all.put("taskmanager.host", "127.0.0.1");
        all.put("taskmanager.bind-host", "127.0.0.1");
        all.put("rest.address", "127.0.0.1");
        all.put("rest.bind-address", "127.0.0.1");
        all.put("rest.port", Integer.toString(restPort));
        all.put("io.tmp.dirs", tmp.toString());
        all.putAll(settings);
        all.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
        yaml.append('\n').append(Files.readString(appendedConfig));
        Files.writeString(conf.resolve("config.yaml"), yaml);
        Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = MainAppender",
                "appender.main.name = MainAppender",
                "appender.main.type = File",
                "appender.main.fileName = ${sys:log.file}",
                "appender.main.layout.type = PatternLayout",
                "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} [%t] - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                ""));

        List<Path> jars = new ArrayList<>();
        for (Path dir : libDirs) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jar")).forEach(jars::add);
            }
        }
        jars.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        String cp = jars.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));

        StandaloneCluster cluster = new StandaloneCluster(conf, log, cp, restPort);
        try {
            Configuration flink = GlobalConfiguration.loadConfiguration(conf.toString());
            List<String> jm = cluster.bashJavaUtils("GET_JM_RESOURCE_PARAMS");
            cluster.launch("jobmanager", JOBMANAGER_ENTRYPOINT, split(jm.get(0)),
                    javaOpts(flink, CoreOptions.FLINK_JM_JVM_OPTIONS),
                    List.of("--configDir", conf.toString(), "--executionMode", "cluster"));
            List<String> tm = cluster.bashJavaUtils("GET_TM_RESOURCE_PARAMS");
            List<String> tmArgs = new ArrayList<>(List.of("--configDir", conf.toString()));
            tmArgs.addAll(split(tm.get(1)));
            cluster.launch("taskmanager", TASKMANAGER_ENTRYPOINT, split(tm.get(0)),
                    javaOpts(flink, CoreOptions.FLINK_TM_JVM_OPTIONS), tmArgs);
        } catch (IOException | RuntimeException | InterruptedException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Base URL of the JobManager's REST API, e.g. {@code http://127.0.0.1:41234}. */
    String restUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    /** The class path of both processes (the jars of the lib/ folders). */
    String classPath() {
        return classPath;
    }

    /**
     * Waits until the REST API reports {@code count} registered TaskManagers, checking every second that both
     * processes are alive.
     *
     * @throws AssertionError when a process exited or the timeout passed (message: exit code, log tails)
     */
    void awaitTaskManagers(FlinkRest rest, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                int registered = rest.get("/overview").path("taskmanagers").asInt(-1);
                if (registered >= count) {
                    return;
                }
                last = registered + " TaskManager(s) registered";
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("the cluster did not get " + count + " TaskManager(s) within " + timeout + " (last: "
                + last + ")\n" + logTails());
    }

    /** @throws AssertionError when the JobManager or the TaskManager process has exited (exit code, log tails) */
    void checkAlive() {
        processes.forEach((name, p) -> {
            if (!p.isAlive()) {
                throw new AssertionError("the " + name + " process exited with code " + p.exitValue() + "\n"
                        + logTails());
            }
        });
    }

    /** Whether each process runs, and the last 80 lines of its .log and .out file, for failure messages. */
    String logTails() {
        StringBuilder b = new StringBuilder();
        processes.forEach((name, p) -> b.append(name).append(" process: ")
                .append(p.isAlive() ? "running" : "exited with code " + p.exitValue()).append('\n'));
        for (String name : processes.keySet()) {
            for (String ext : List.of(".log", ".out")) {
                Path f = logDir.resolve(name + ext);
                b.append("----- tail of ").append(f).append(" -----\n");
                try {
                    List<String> lines = Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
                    lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(l -> b.append(l).append('\n'));
                } catch (IOException | UncheckedIOException e) {
                    b.append("(unreadable: ").append(e).append(")\n");
                }
            }
        }
        return b.toString();
    }

    /** Stops both processes; a second call does nothing. */
    @Override
    public void close() {
        processes.values().forEach(Process::destroy); // SIGTERM: Flink's shutdown hooks run
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private void launch(String name, String mainClass, List<String> jvmParams, List<String> javaOpts,
            List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(jvmParams);
        cmd.addAll(javaOpts);
        cmd.add("-Dlog.file=" + logDir.resolve(name + ".log"));
        cmd.add("-Dlog4j.configurationFile=file:" + confDir.resolve("log4j.properties"));
        cmd.add("-classpath");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(args);
        Files.writeString(logDir.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logDir.resolve(name + ".out").toFile());
        pb.environment().remove("FLINK_CONF_DIR");
        processes.put(name, pb.start());
    }

    /** Runs BashJavaUtils COMMAND --configDir conf and returns its two result lines (JVM params, dynamic configs). */
    private List<String> bashJavaUtils(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java(), "-classpath", classPath, BASH_JAVA_UTILS, command, "--configDir",
                confDir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("BashJavaUtils " + command + " failed:\n" + out);
        }
        List<String> results = out.lines().filter(l -> l.startsWith(EXEC_RESULT_PREFIX))
                .map(l -> l.substring(EXEC_RESULT_PREFIX.length()).trim()).collect(Collectors.toList());
        if (results.size() != 2) {
            throw new IllegalStateException("BashJavaUtils " + command + ": expected 2 result lines, got:\n" + out);
        }
        return results;
    }

    private static List<String> javaOpts(Configuration flink, org.apache.flink.configuration.ConfigOption<String> own) {
        List<String> opts = new ArrayList<>(split(flink.get(CoreOptions.FLINK_JVM_OPTIONS)));
        opts.addAll(split(flink.get(own)));
        return opts;
    }

    private static List<String> split(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
