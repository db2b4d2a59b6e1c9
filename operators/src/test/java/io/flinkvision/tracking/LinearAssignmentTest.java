package io.flinkvision.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearAssignmentTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void findsTheMinimumNotTheGreedyAssignment() {
        // greedy takes (0,0)=0.1 and is left with (1,1)=0.9; the optimum is 0.2 + 0.3
        double[][] c = {{0.1, 0.2}, {0.3, 0.9}};
        assertThat(LinearAssignment.solve(c, 1.0)).containsExactly(1, 0);
    }

    @Test
    void pairsAboveTheLimitOrForbiddenStayUnassigned() {
        double[][] c = {{0.5, INF}, {INF, 0.95}, {Double.NaN, 0.1}};
        assertThat(LinearAssignment.solve(c, 0.8)).containsExactly(0, -1, 1);
    }

    @Test
    void rectangularBothWays() {
        assertThat(LinearAssignment.solve(new double[][] {{0.4, 0.1, 0.7}}, 1)).containsExactly(1);
        assertThat(LinearAssignment.solve(new double[][] {{0.4}, {0.1}, {0.7}}, 1)).containsExactly(-1, 0, -1);
        assertThat(LinearAssignment.solve(new double[0][], 1)).isEmpty();
        assertThat(LinearAssignment.solve(new double[][] {{}, {}}, 1)).containsExactly(-1, -1);
    }

    @Test
    void leavingBothUnassignedCanBeCheaperThanAnExpensivePair() {
        // limit 0.8: two pairs 0.75 + 0.75 = 1.5 vs one pair 0.1 with the other row and column unassigned 0.1 + 0.8
        double[][] c = {{0.1, 0.75}, {0.75, INF}};
        assertThat(LinearAssignment.solve(c, 0.8)).containsExactly(0, -1);
    }

    @Test
    void agreesWithBruteForceOnRandomMatrices() {
        Random r = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(5);
            int m = 1 + r.nextInt(5);
            double limit = 0.3 + r.nextDouble() * 0.7;
            double[][] c = new double[n][m];
            for (double[] row : c) {
                for (int j = 0; j < m; j++) {
                    row[j] = r.nextInt(6) == 0 ? INF : r.nextDouble();
                }
            }
            int[] got = LinearAssignment.solve(c, limit);
            assertThat(total(c, got, limit)).as("trial %d", trial)
                    .isCloseTo(bruteForce(c, 0, new boolean[m], limit), org.assertj.core.api.Assertions.within(1e-9));
            for (int i = 0; i < n; i++) {
                if (got[i] >= 0) {
                    assertThat(c[i][got[i]]).isLessThanOrEqualTo(limit);
                }
            }
        }
    }

    /** Cost of an assignment in the extended problem: pairs + limit/2 per unassigned row and column. */
    private static double total(double[][] c, int[] a, double limit) {
        int m = c[0].length;
        double sum = 0;
        boolean[] used = new boolean[m];
        for (int i = 0; i < c.length; i++) {
            if (a[i] >= 0) {
                sum += c[i][a[i]];
                used[a[i]] = true;
            } else {
                sum += limit / 2;
            }
        }
        for (boolean u : used) {
            sum += u ? 0 : limit / 2;
        }
        return sum;
    }

    private static double bruteForce(double[][] c, int row, boolean[] used, double limit) {
        if (row == c.length) {
            double s = 0;
            for (boolean u : used) {
                s += u ? 0 : limit / 2;
            }
            return s;
        }
        double best = limit / 2 + bruteForce(c, row + 1, used, limit);
        for (int j = 0; j < used.length; j++) {
            if (!used[j] && c[row][j] <= limit) {
                used[j] = true;
                best = Math.min(best, c[row][j] + bruteForce(c, row + 1, used, limit));
                used[j] = false;
            }
        }
        return best;
    }
}
