#include <stdio.h>
#include <stdlib.h>
int main(void) {
  size_t cap = 4, len = 0; long *a = malloc(cap * sizeof *a);
  for (long i = 0; i < 1000000; i++) { if (len == cap) { cap *= 2; a = realloc(a, cap * sizeof *a); } a[len++] = i; }
  for (long i = 0; i < 1000000; i++) a[i] = a[i] * 2;
  long s = 0;
  for (long i = 0; i < 1000000; i++) s += a[i];
  printf("%ld\n", s);
  free(a);
  return 0;
}
