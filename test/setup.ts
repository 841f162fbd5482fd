// Node 20 ships relaxed SIMD behind a flag that NODE_OPTIONS may not carry;
// setting it at run time lets the tests exercise both wasm flavors.
import v8 from 'node:v8';
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
