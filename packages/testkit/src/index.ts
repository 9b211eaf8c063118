export { fakeContext } from "./lambdaContext.js";
