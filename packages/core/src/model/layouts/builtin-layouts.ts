/**
 * Registers the built-in layouts in priority order. Importing this module (the loader does) is
 * what makes them available; a layout added by another module (the LFM2 checkpoint layout of
 * issue #5) registers itself with one more `registerLayout` line here.
 */
import { registerLayout } from "./registry.js";
import { pylateOnnxLayout } from "./pylate-onnx.js";
import { sentenceTransformersLayout } from "./sentence-transformers.js";
import { lfm2CheckpointLayout } from "./lfm2-checkpoint.js";

registerLayout(pylateOnnxLayout);
registerLayout(sentenceTransformersLayout);
registerLayout(lfm2CheckpointLayout);
