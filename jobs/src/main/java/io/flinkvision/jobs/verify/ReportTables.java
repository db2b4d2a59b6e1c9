package io.flinkvision.jobs.verify;

import io.flinkvision.verification.AgreementReport;
import io.flinkvision.verification.ClassAgreement;
import io.flinkvision.verification.ElementError;
import io.flinkvision.verification.FieldStats;
import io.flinkvision.verification.FrameAgreement;
import io.flinkvision.verification.TensorReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The text tables of {@code verify} and {@code compare}: tensor errors and detection agreement. */
public final class ReportTables {
    private ReportTables() {}

    /** Prints the element-wise comparison: totals, per field group, worst elements. */
    public static void printTensor(PrintStream out, TensorReport t) {
        out.printf(Locale.ROOT, "output tensor [%d, %d, %d]: %d elements, tolerance |a-r| <= %.3g + %.3g*|r|%n",
                t.images(), t.rows(), t.columns(), t.elements(), t.tolerance().atol(), t.tolerance().rtol());
        out.printf(Locale.ROOT, "  within tolerance  %.6f (%d of %d)%s%n", t.fractionWithin(), t.within(),
                t.elements(), t.nonFiniteMismatches() > 0 ? ", " + t.nonFiniteMismatches() + " NaN/inf mismatches"
                        : "");
        out.printf(Locale.ROOT, "  max abs error %.4g, max rel error %.4g, mean abs error %.4g%n", t.maxAbsError(),
                t.maxRelError(), t.meanAbsError());
        out.printf(Locale.ROOT, "  %-12s %14s %12s %12s%n", "fields", "within", "max abs", "max rel");
        for (FieldStats f : t.fields()) {
            out.printf(Locale.ROOT, "  %-12s %14.6f %12.4g %12.4g%n", f.name(), f.fractionWithin(), f.maxAbsError(),
                    f.maxRelError());
        }
        if (!t.worst().isEmpty()) {
            out.printf(Locale.ROOT, "  worst elements (image, anchor [stride cell], field: reference -> actual, abs"
                    + " / bound)%n");
            for (ElementError e : t.worst()) {
                out.printf(Locale.ROOT, "    %4d %5d [s%d %d,%d] %-24s %12.6g -> %-12.6g %10.3g / %-10.3g%s%n",
                        e.image(), e.anchor(), e.stride(), e.gridX(), e.gridY(), e.fieldName(), e.reference(),
                        e.actual(), e.absError(), e.bound(), e.within() ? "" : " OUTSIDE");
            }
        }
    }

    /** Prints detection agreement: per class and all classes, then the frames of lowest agreement. */
    public static void printAgreement(PrintStream out, AgreementReport a, String referenceName, String testName) {
        out.printf(Locale.ROOT, "detections over %d frames (%s = reference, %s = test): agreement %.4f at IoU >= 0.9"
                + " (matched / (ref + test - matched)), %d frames in full agreement%n", a.frames(), referenceName,
                testName, a.agreement(), a.framesInAgreement());
        out.printf(Locale.ROOT, "  %-16s %7s %7s %8s %8s %7s %7s %9s %9s %8s %8s%n", "class", "ref", "test",
                "IoU>=.5", "IoU>=.9", "missed", "extra", "agree.9", "mean|ds|", "max|ds|", "meanIoU");
        List<ClassAgreement> rows = new ArrayList<>(a.classes());
        rows.add(a.all());
        for (ClassAgreement c : rows) {
            out.printf(Locale.ROOT, "  %-16s %7d %7d %8d %8d %7d %7d %9.4f %9.4f %8.4f %8.4f%n", c.label(),
                    c.reference(), c.test(), c.matched50(), c.matched90(), c.missed(), c.extra(), c.agreement(),
                    c.meanAbsScoreDiff(), c.maxAbsScoreDiff(), c.meanIou());
        }
        if (!a.worstFrames().isEmpty()) {
            out.printf(Locale.ROOT, "  frames of lowest agreement: frame ref test IoU>=.5 IoU>=.9 agreement%n");
            for (FrameAgreement f : a.worstFrames()) {
                out.printf(Locale.ROOT, "    %-24s %4d %4d %7d %7d %9.4f%n", f.frame(), f.reference(), f.test(),
                        f.matched50(), f.matched90(), f.agreement());
            }
        }
    }
}
