#include <stdio.h>
#include <stdlib.h>
typedef struct Shape { long (*area)(struct Shape *); long size; } Shape;
static long square(Shape *s) { return s->size * s->size; }
static long triangle(Shape *s) { return s->size * s->size / 2; }
int main(void) {
  Shape *shapes[300];
  for (long i = 0; i < 300; i++) {
    shapes[i] = malloc(sizeof(Shape));
    shapes[i]->size = i;
    shapes[i]->area = i % 2 == 0 ? square : triangle;
  }
  long total = 0;
  for (long r = 0; r < 10000; r++)
    for (long i = 0; i < 300; i++) total += shapes[i]->area(shapes[i]);
  printf("%ld\n", total);
  return 0;
}
