/**
 * Every problem `code` src/ can throw, read from its syntax tree (TypeScript's parser, no type
 * checking): what openapi-document.test.ts compares with the documented codes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The `code` member of an object literal handed to HttpProblem. */
function codeMember(arg: ts.Expression | undefined): ts.ObjectLiteralElementLike | undefined {
  if (!arg || !ts.isObjectLiteralExpression(arg)) return undefined;
  return arg.properties.find((p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'code');
}

/** `code: code`, the long form of `{ code }`. */
const isCodeVariable = (member: ts.ObjectLiteralElementLike) =>
  ts.isPropertyAssignment(member) && ts.isIdentifier(member.initializer) && member.initializer.text === 'code';

/** The name of a helper `(code, …) => new HttpProblem({ code, … })` enclosing `node`, if it is one. */
function helperName(node: ts.Node): string | undefined {
  let fn: ts.Node | undefined = node.parent;
  while (fn && !ts.isArrowFunction(fn) && !ts.isFunctionDeclaration(fn) && !ts.isFunctionExpression(fn)) fn = fn.parent;
  if (!fn) return undefined;
  const first = (fn as ts.FunctionLikeDeclaration).parameters[0];
  if (!first || !ts.isIdentifier(first.name) || first.name.text !== 'code') return undefined;
  if (ts.isFunctionDeclaration(fn)) return fn.name?.text;
  return ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) ? fn.parent.name.text : undefined;
}

/**
 * The codes of HttpProblems built in `files`: `new HttpProblem({ code: 'literal', … })`; helpers
 * `(code, …) => new HttpProblem({ code, … })` called with a literal; and subclasses of HttpProblem
 * whose constructor calls `super({ code: 'literal', … })`. `unexplained` names files where some
 * construction fits none of these, or a class extends such a subclass: the scan must be taught
 * those, never skip them.
 */
export function scanCodes(files: ReadonlyArray<[name: string, text: string]>): { codes: Set<string>; unexplained: string[] } {
  const codes = new Set<string>();
  const unexplained = new Set<string>();
  const sources = files.map(([name, text]) => [name, ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true)] as const);
  const subclasses = new Set<string>();
  const parentOf = (c: ts.ClassLikeDeclaration) => c.heritageClauses?.flatMap((h) => h.types.map((t) => t.expression.getText()))[0];
  for (const [, source] of sources) {
    source.forEachChild(function visit(node): void {
      if (ts.isClassDeclaration(node) && node.name && parentOf(node) === 'HttpProblem') subclasses.add(node.name.text);
      node.forEachChild(visit);
    });
  }
  for (const [name, source] of sources) {
    const helpers = new Set<string>();
    const literalCalls: Array<[callee: string, arg: ts.Expression | undefined]> = [];
    const take = (arg: ts.Expression | undefined, at: ts.Node, allowHelper: boolean) => {
      const member = codeMember(arg);
      if (member && ts.isPropertyAssignment(member) && ts.isStringLiteral(member.initializer)) codes.add(member.initializer.text);
      else if (member && allowHelper && (ts.isShorthandPropertyAssignment(member) || isCodeVariable(member)) && helperName(at)) {
        helpers.add(helperName(at) as string);
      } else unexplained.add(name);
    };
    source.forEachChild(function visit(node): void {
      if (ts.isNewExpression(node) && node.expression.getText() === 'HttpProblem') take(node.arguments?.[0], node, true);
      if (ts.isClassDeclaration(node)) {
        const parent = parentOf(node);
        if (parent !== undefined && subclasses.has(parent)) unexplained.add(name);
        if (parent === 'HttpProblem') {
          const supers: ts.CallExpression[] = [];
          node.forEachChild(function find(n): void {
            if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) supers.push(n);
            n.forEachChild(find);
          });
          if (supers.length === 0) unexplained.add(name);
          for (const call of supers) take(call.arguments[0], call, false);
        }
      }
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) literalCalls.push([node.expression.text, node.arguments[0]]);
      node.forEachChild(visit);
    });
    for (const [callee, arg] of literalCalls) {
      if (!helpers.has(callee)) continue;
      if (arg && ts.isStringLiteral(arg)) codes.add(arg.text);
      else unexplained.add(name);
    }
  }
  return { codes, unexplained: [...unexplained] };
}

let scanned: ReturnType<typeof scanCodes> | undefined;

/** {@link scanCodes} over every `.ts` file under src/ (read once per process). */
export function thrownCodes(): { codes: Set<string>; unexplained: string[] } {
  if (!scanned) {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    scanned = scanCodes(files.map((file) => [file, readFileSync(join(SRC, file), 'utf8')]));
  }
  return { codes: new Set(scanned.codes), unexplained: [...scanned.unexplained] };
}
