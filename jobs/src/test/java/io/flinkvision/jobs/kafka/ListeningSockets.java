package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP sockets this JVM listens on, read from Linux's {@code /proc/net/tcp} and {@code /proc/net/tcp6} (state
 * {@code 0A} = LISTEN) and kept to those whose inode is one of this process's file descriptors
 * ({@code /proc/self/fd/N -> socket:[inode]}), as {@code ss -ltnp} reports them.
 */
final class ListeningSockets {
    /** A listening socket: its local address as {@code /proc} prints it (hex) and its port. */
    record Listener(String hexAddress, int port) {
        /** Whether the address is 127.0.0.1 or ::1 (or ::ffff:127.0.0.1). */
        boolean loopback() {
            return hexAddress.equals("0100007F") || hexAddress.equals("00000000000000000000000001000000")
                    || hexAddress.equals("0000000000000000FFFF00000100007F");
        }
    }

    private ListeningSockets() {}

    static boolean available() {
        return Files.isReadable(Path.of("/proc/net/tcp")) && Files.isDirectory(Path.of("/proc/self/fd"));
    }

    /** @throws IOException when /proc cannot be read */
    static Set<Listener> ofThisProcess() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor was closed between listing and reading
                }
            }
        }
        Set<Listener> out = new LinkedHashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.isReadable(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    String[] local = f[1].split(":");
                    out.add(new Listener(local[0], Integer.parseInt(local[1], 16)));
                }
            }
        }
        return out;
    }
}
