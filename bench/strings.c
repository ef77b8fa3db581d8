#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Immutable strings: every concatenation allocates and copies, as in the other languages. */
static char *cat(const char *a, size_t la, const char *b, size_t lb) {
  char *r = malloc(la + lb + 1);
  memcpy(r, a, la); memcpy(r + la, b, lb); r[la + lb] = 0;
  return r;
}
int main(void) {
  char *total = calloc(1, 1); size_t tl = 0;
  for (int c = 0; c < 1000; c++) {
    char *chunk = calloc(1, 1); size_t cl = 0;
    for (int i = 0; i < 1000; i++) { char *n = cat(chunk, cl, "ab", 2); free(chunk); chunk = n; cl += 2; }
    char *n = cat(total, tl, chunk, cl); free(total); free(chunk); total = n; tl += cl;
  }
  printf("%zu\n", tl);
  free(total);
  return 0;
}
