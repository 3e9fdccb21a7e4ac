/**
 * The embedded models in plain words, for the app and the command line. No imports: the page's
 * components use these without pulling the runtime into the main bundle.
 */

/** What a load reads: "TinyMath generator, revision model and PRM". */
export const TINYMATH_MODELS = 'TinyMath generator, revision model and PRM';

/** The same after "TinyMath" was said: "generator, revision model and PRM". */
export const TINYMATH_MODEL_ROLES = 'generator, revision model and PRM';
