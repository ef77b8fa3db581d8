/* Character indexing over a 200,000-character string, twice (the second copy ends in a
   two-byte UTF-8 character, walked by character with a byte cursor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *s = malloc(200003);
  for (int i = 0; i < 200000; i++) s[i] = "abcdefghij"[i % 10];
  s[200000] = 0;
  char *t = malloc(200003);
  memcpy(t, s, 200000);
  memcpy(t + 200000, "\xc3\xa9", 3);
  long count = 0;
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) count += s[i] == 'e';
  for (const char *p = t; *p;) {
    size_t len = (*p & 0x80) ? ((*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4) : 1;
    count += len == 1 && *p == 'e';
    p += len;
  }
  printf("%ld\n", count);
  return 0;
}
