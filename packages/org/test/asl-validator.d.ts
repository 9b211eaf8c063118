// asl-validator ships no type declarations: the part of its API the tests use.
declare module "asl-validator" {
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: ReadonlyArray<{ readonly message?: string }>;
    readonly errorsText: (separator?: string) => string;
  }
  const validator: (
    definition: unknown,
    options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
  ) => ValidationResult;
  export default validator;
}
