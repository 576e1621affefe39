/** True under Node.js (false in a browser or a web worker). */
export const isNode: boolean = typeof process !== 'undefined' && !!process.versions?.node;
