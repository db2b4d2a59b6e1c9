package io.flinkvision.tracking.analytics;

import io.flinkvision.detection.BoundingBox;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import org.apache.flink.annotation.Internal;

/** Line-side and crossing tests ({@link Line2D}) and point-in-polygon ({@link Path2D}), in pixels, y down. */
@Internal
public final class Geometry {
    private Geometry() {}

    /**
     * Side of point {@code (x, y)} of the directed segment {@code a -> b} as seen on the image: +1 right-hand, -1
     * left-hand, 0 on the line. Sign of the cross product {@code (b - a) x (p - a)}; with y down, positive is the
     * right-hand side.
     */
    public static int side(float[] a, float[] b, float x, float y) {
        double c = (double) (b[0] - a[0]) * (y - a[1]) - (double) (b[1] - a[1]) * (x - a[0]);
        return c > 0 ? 1 : c < 0 ? -1 : 0;
    }

    /** Whether the move {@code (x0, y0) -> (x1, y1)} touches the segment {@code a - b}. */
    public static boolean intersects(float[] a, float[] b, float x0, float y0, float x1, float y1) {
        return Line2D.linesIntersect(x0, y0, x1, y1, a[0], a[1], b[0], b[1]);
    }

    /** A closed polygon for {@link Path2D#contains(double, double)} (non-zero winding of a simple polygon). */
    public static Path2D polygon(float[][] points) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(points[0][0], points[0][1]);
        for (int i = 1; i < points.length; i++) {
            p.lineTo(points[i][0], points[i][1]);
        }
        p.closePath();
        return p;
    }

    /** The anchor point of a box: {@code bottom-center} ({@code ((x1+x2)/2, y2)}) or {@code center}. */
    public static float[] anchor(BoundingBox b, String anchor) {
        float x = (b.getX1() + b.getX2()) / 2;
        return AnalyticsConfig.CENTER.equals(anchor) ? new float[] {x, (b.getY1() + b.getY2()) / 2}
                : new float[] {x, b.getY2()};
    }
}
