/**
 * The seeded PRNG every test shares (fixtures, reference, graph and op tests): the engine's own
 * mulberry32, a module with no imports, so any test can use it without pulling in a runtime.
 */
export { mulberry32 } from '../../src/engine/random';
