#include <stdio.h>
#include <stdlib.h>
int main(void) {
  long n = 2000000; char *f = malloc(n + 1);
  for (long i = 0; i <= n; i++) f[i] = 1;
  long count = 0;
  for (long i = 2; i <= n; i++) if (f[i]) { count++; for (long j = i * i; j <= n; j += i) f[j] = 0; }
  printf("%ld\n", count);
  free(f);
  return 0;
}
