import { ensureBundles } from './bundles.js';
const b = await ensureBundles();
console.log(b.api, b.refDynamo, b.refEager);
