package io.flinkvision.jobs.cli;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters that check an option's value while the command line is parsed, so that a bad value is a
 * one-line usage error (exit code 2, {@link CliErrors}) before anything starts. Use them as
 * {@code @Option(names = "--batch-size", converter = OptionValues.PositiveInt.class)}; picocli prefixes the message
 * with {@code Invalid value for option '--batch-size': }. Default values pass through the same checks.
 */
public final class OptionValues {
    private OptionValues() {}

    /** {@code onnxruntime}, {@code tensorrt} or {@code auto}, any case ({@link Backend#parse}). */
    public static final class BackendName implements ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            try {
                return Backend.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code fp32}, {@code fp16} or {@code int8}, any case ({@link Precision#parse}). */
    public static final class PrecisionName implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** An integer of at least 1 (a size, a count of threads or frames). */
    public static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) inRange(parseLong(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 1, Integer.MAX_VALUE, value);
        }
    }

    /** An integer of at least 0 (0 usually means "none" or "the default", as the option's help says). */
    public static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) inRange(parseLong(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 0, Integer.MAX_VALUE, value);
        }
    }

    /** A long of at least 1 (a duration in ms or s, a byte or pixel limit). */
    public static final class PositiveLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return inRange(parseLong(value, Long.MIN_VALUE, Long.MAX_VALUE), 1, Long.MAX_VALUE, value);
        }
    }

    /** A long of at least 0. */
    public static final class NonNegativeLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return inRange(parseLong(value, Long.MIN_VALUE, Long.MAX_VALUE), 0, Long.MAX_VALUE, value);
        }
    }

    /** A TCP port, 1..65535. */
    public static final class Port implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) inRange(parseLong(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 1, 65535, value);
        }
    }

    /** A TCP port, 0..65535 (0: any free port). */
    public static final class PortOrAny implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) inRange(parseLong(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 0, 65535, value);
        }
    }

    /** A JPEG quality, 1..100 (libjpeg's scale). */
    public static final class JpegQuality implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) inRange(parseLong(value, Integer.MIN_VALUE, Integer.MAX_VALUE), 1, 100, value);
        }
    }

    /** A finite number of at least 0 (ms, s, frames/s). */
    public static final class NonNegativeDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseDouble(value);
            if (v < 0) {
                throw new TypeConversionException("must be at least 0, got '" + value + "'");
            }
            return v;
        }
    }

    /** A finite number above 0. */
    public static final class PositiveDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseDouble(value);
            if (v <= 0) {
                throw new TypeConversionException("must be above 0, got '" + value + "'");
            }
            return v;
        }
    }

    /** A fraction in [0, 1] (a score or an IoU threshold). */
    public static final class UnitInterval implements ITypeConverter<Float> {
        @Override
        public Float convert(String value) {
            double v = parseDouble(value);
            if (v < 0 || v > 1) {
                throw new TypeConversionException("must be between 0 and 1, got '" + value + "'");
            }
            return (float) v;
        }
    }

    private static long parseLong(String value, long min, long max) {
        long v;
        try {
            v = Long.parseLong(value.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("must be a whole number, got '" + value + "'");
        }
        if (v < min || v > max) {
            throw new TypeConversionException("must be between " + min + " and " + max + ", got '" + value + "'");
        }
        return v;
    }

    private static long inRange(long v, long min, long max, String value) {
        if (v < min) {
            throw new TypeConversionException("must be at least " + min + ", got '" + value + "'");
        }
        if (v > max) {
            throw new TypeConversionException("must be at most " + max + ", got '" + value + "'");
        }
        return v;
    }

    private static double parseDouble(String value) {
        double v;
        try {
            v = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("must be a number, got '" + value + "'");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            throw new TypeConversionException("must be a finite number, got '" + value + "'");
        }
        return v;
    }
}
