#include <math.h>
#include <stdio.h>
static double a(long i, long j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }
static void mul_av(long n, const double *v, double *out) {
  for (long i = 0; i < n; i++) { double s = 0; for (long j = 0; j < n; j++) s += a(i, j) * v[j]; out[i] = s; }
}
static void mul_atv(long n, const double *v, double *out) {
  for (long i = 0; i < n; i++) { double s = 0; for (long j = 0; j < n; j++) s += a(j, i) * v[j]; out[i] = s; }
}
static void mul_atav(long n, const double *v, double *out, double *tmp) { mul_av(n, v, tmp); mul_atv(n, tmp, out); }
int main(void) {
  enum { N = 200 };
  static double u[N], v[N], tmp[N];
  for (long i = 0; i < N; i++) u[i] = 1.0;
  for (int i = 0; i < 10; i++) { mul_atav(N, u, v, tmp); mul_atav(N, v, u, tmp); }
  double vbv = 0, vv = 0;
  for (long i = 0; i < N; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
  printf("%.9f\n", sqrt(vbv / vv));
  return 0;
}
