package io.flinkvision.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.flink.annotation.Internal;

/**
 * The bytes of a model file, its name and sha256, loaded from a path or a {@code classpath:} resource.
 *
 * @param name file name, e.g. {@code yolox_nano_dyn.onnx}
 * @param bytes the ONNX file
 * @param sha256 lower-case hex sha256 of {@code bytes}
 */
@Internal
public record ModelSource(String name, byte[] bytes, String sha256) {

    /**
     * Loads a model.
     *
     * @param location a file path or {@code classpath:/path/in/jar}
     * @throws InferenceException if the model is missing or unreadable; the message names the location and the
     *     setting ({@code --model} / {@code inference.model.path}) to fix
     */
    public static ModelSource load(String location) {
        byte[] bytes;
        String name;
        try {
            if (location.startsWith("classpath:")) {
                String resource = location.substring("classpath:".length());
                name = resource.substring(resource.lastIndexOf('/') + 1);
                try (InputStream in = ModelSource.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new InferenceException("model resource '" + resource + "' is not on the classpath;"
                                + " set the model path (--model / inference.model.path) to an ONNX file");
                    }
                    bytes = in.readAllBytes();
                }
            } else {
                Path p = Path.of(location);
                name = p.getFileName().toString();
                bytes = Files.readAllBytes(p);
            }
        } catch (NoSuchFileException e) {
            throw new InferenceException("model file '" + location + "' does not exist; set the model path"
                    + " (--model / inference.model.path) to an ONNX file", e);
        } catch (IOException e) {
            throw new InferenceException("model file '" + location + "' cannot be read: " + e
                    + "; check the model path (--model / inference.model.path)", e);
        }
        if (bytes.length == 0) {
            throw new InferenceException("model file '" + location + "' is empty; set the model path"
                    + " (--model / inference.model.path) to an ONNX file");
        }
        return new ModelSource(name, bytes, sha256(bytes));
    }

    /** Lower-case hex sha256 of the bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JRE", e);
        }
    }
}
