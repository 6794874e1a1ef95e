// Recognizers for the javascript ecosystem's tools: one module per tool family in javascript/.
export { javascriptRecognizers } from './javascript/index.js';
