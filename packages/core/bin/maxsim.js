#!/usr/bin/env node
// Launcher kept outside dist/ so installing the workspace before a build can still link the bin.
import "../dist/cli/main.js";
