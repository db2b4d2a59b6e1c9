package io.flinkvision.tracking;

import java.util.Arrays;

/**
 * Minimum-cost linear assignment with a cost limit, the matching step of SORT/ByteTrack ({@code lap.lapjv(cost,
 * extend_cost=True, cost_limit=thresh)} in ByteTrack's {@code matching.linear_assignment}).
 *
 * <p>The rectangular {@code n x m} problem with limit {@code L} is solved as the square {@code (n+m) x (n+m)} problem
 * of Jonker-Volgenant's {@code cost_limit} extension: row {@code i} may stay unassigned at cost {@code L/2}, column
 * {@code j} likewise, and pairs whose cost exceeds {@code L} are forbidden; so a pair is taken only if it is part of a
 * cheaper overall assignment than leaving both ends unassigned. The square problem is solved exactly by the shortest
 * augmenting path method with dual potentials (Hungarian algorithm, Kuhn 1955 / Munkres 1957, in the O(N^3) form of
 * R. Jonker and A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear assignment
 * problems", Computing 38, 1987; see also D. F. Crouse, "On implementing 2D rectangular assignment algorithms", IEEE
 * TAES 52(4), 2016). No maintained Java library on Maven Central offers it (commons-math3 and Hipparchus have none),
 * hence this class.
 */
final class LinearAssignment {
    private LinearAssignment() {}

    /**
     * Solves the assignment.
     *
     * @param cost {@code n} rows of {@code m} costs each (all rows the same length); {@code NaN} or
     *     {@code +Infinity} marks a forbidden pair
     * @param costLimit the largest cost of a pair that may be assigned, finite and >= 0
     * @return for each row, the assigned column or -1
     * @throws IllegalArgumentException for ragged rows or a bad limit
     */
    public static int[] solve(double[][] cost, double costLimit) {
        if (!(costLimit >= 0) || Double.isInfinite(costLimit)) {
            throw new IllegalArgumentException("cost limit must be finite and >= 0, got " + costLimit);
        }
        int n = cost.length;
        int m = n == 0 ? 0 : cost[0].length;
        int[] rowToCol = new int[n];
        Arrays.fill(rowToCol, -1);
        if (n == 0 || m == 0) {
            return rowToCol;
        }
        int size = n + m;
        // forbidden pairs get a cost no optimal solution takes: above any sum of allowed costs
        double forbidden = (costLimit + 1) * (size + 1) * 2;
        double[][] a = new double[size][size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                double c;
                if (i < n && j < m) {
                    if (cost[i].length != m) {
                        throw new IllegalArgumentException("row " + i + " has " + cost[i].length + " costs, not " + m);
                    }
                    double v = cost[i][j];
                    c = (Double.isNaN(v) || v > costLimit) ? forbidden : v;
                } else if (i < n) {
                    c = j - m == i ? costLimit / 2 : forbidden; // row i unassigned
                } else if (j < m) {
                    c = i - n == j ? costLimit / 2 : forbidden; // column j unassigned
                } else {
                    c = 0; // dummy with dummy
                }
                a[i][j] = c;
            }
        }
        int[] assigned = hungarian(a);
        for (int i = 0; i < n; i++) {
            int j = assigned[i];
            if (j < m && a[i][j] < forbidden) {
                rowToCol[i] = j;
            }
        }
        return rowToCol;
    }

    /** Exact min-cost perfect matching of a square matrix: row -> column. Shortest augmenting paths, potentials u, v. */
    static int[] hungarian(double[][] a) {
        int n = a.length;
        double[] u = new double[n + 1];
        double[] v = new double[n + 1];
        int[] p = new int[n + 1]; // p[j] = row (1-based) matched to column j (1-based); p[0] = row being inserted
        int[] way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            boolean[] used = new boolean[n + 1];
            do {
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = -1;
                for (int j = 1; j <= n; j++) {
                    if (!used[j]) {
                        double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do { // augment along the path
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] rowToCol = new int[n];
        for (int j = 1; j <= n; j++) {
            rowToCol[p[j] - 1] = j - 1;
        }
        return rowToCol;
    }
}
