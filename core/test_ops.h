#ifndef TESSERA_CORE_TEST_OPS_H_
#define TESSERA_CORE_TEST_OPS_H_

// Tiny ops registered only in core's tests, so core is tested without any
// real op library: test_add (x + y), test_scale (x * factor), test_sum
// (sum of all elements, a scalar) and test_mul (x * y, elementwise).

#endif  // TESSERA_CORE_TEST_OPS_H_
