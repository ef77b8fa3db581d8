#include <stdio.h>
#include <math.h>
static double simulate(long steps) {
  double x1 = 0.0;
  double y1 = 0.0;
  double u1 = 0.0;
  double v1 = 0.0;
  double x2 = 1.0;
  double y2 = 0.0;
  double u2 = 0.0;
  double v2 = 1.0;
  double x3 = -1.0;
  double y3 = 0.0;
  double u3 = 0.0;
  double v3 = -1.0;
  double m1 = 1.0;
  double m2 = 0.001;
  double m3 = 0.001;
  double dt = 0.0001;
  double dx, dy, d2, f;
  for (long i = 0; i < steps; i++) {
    dx = x1 - x2;
    dy = y1 - y2;
    d2 = dx * dx + dy * dy;
    f = dt / (d2 * sqrt(d2));
    u1 = u1 - dx * m2 * f;
    v1 = v1 - dy * m2 * f;
    u2 = u2 + dx * m1 * f;
    v2 = v2 + dy * m1 * f;
    dx = x1 - x3;
    dy = y1 - y3;
    d2 = dx * dx + dy * dy;
    f = dt / (d2 * sqrt(d2));
    u1 = u1 - dx * m3 * f;
    v1 = v1 - dy * m3 * f;
    u3 = u3 + dx * m1 * f;
    v3 = v3 + dy * m1 * f;
    dx = x2 - x3;
    dy = y2 - y3;
    d2 = dx * dx + dy * dy;
    f = dt / (d2 * sqrt(d2));
    u2 = u2 - dx * m3 * f;
    v2 = v2 - dy * m3 * f;
    u3 = u3 + dx * m2 * f;
    v3 = v3 + dy * m2 * f;
    x1 = x1 + dt * u1;
    y1 = y1 + dt * v1;
    x2 = x2 + dt * u2;
    y2 = y2 + dt * v2;
    x3 = x3 + dt * u3;
    y3 = y3 + dt * v3;
  }
  return x2 + 2.0 * y2 + 3.0 * x3 + 5.0 * y3;
}
int main(void) { printf("%.17g\n", simulate(1000000)); return 0; }
