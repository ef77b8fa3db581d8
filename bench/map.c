#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define CAP 4096
static char *keys[CAP]; static long vals[CAP]; static long size;
static unsigned long hash(const char *s) { unsigned long h = 1469598103934665603UL; while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211UL; } return h; }
static long *slot(const char *k) {
  unsigned long i = hash(k) & (CAP - 1);
  while (keys[i] && strcmp(keys[i], k)) i = (i + 1) & (CAP - 1);
  if (!keys[i]) { keys[i] = strdup(k); vals[i] = 0; size++; }
  return &vals[i];
}
int main(void) {
  char w[32];
  for (long i = 0; i < 1000000; i++) { snprintf(w, sizeof w, "w%ld", (i * 7919) % 1000); *slot(w) += 1; }
  printf("%ld\n%ld\n", size, *slot("w7"));
  return 0;
}
