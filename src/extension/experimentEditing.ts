/**
 * Editing experiment files: diagnostics from the same validator the trainer uses (on open and,
 * debounced, on change) and a CodeLens with "Run" / "Run sweep (N runs)" and the trainable
 * parameters per adapter kind. The validator (ajv) loads lazily on the first experiment file.
 */
import * as vscode from 'vscode';
import type { ExperimentIssue } from '../core/experiment/errors';
import type { ExperimentConfig } from '../core/experiment/types';
import type { Lab } from './lab';
import { log } from './log';

export const EXPERIMENT_GLOB = '**/*.symlora.json';
const CHANGE_DEBOUNCE_MS = 250;

export function isExperimentDocument(document: vscode.TextDocument): boolean {
  return document.uri.path.endsWith('.symlora.json');
}

export interface DocumentAnalysis {
  version: number;
  config?: ExperimentConfig;
  errors: ExperimentIssue[];
  warnings: ExperimentIssue[];
}

/** Caches the analysis of each open experiment document by version. */
export class ExperimentAnalyzer {
  private readonly cache = new Map<string, DocumentAnalysis>();

  async analyze(document: vscode.TextDocument): Promise<DocumentAnalysis> {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached?.version === document.version) return cached;
    const { analyzeExperiment } = await import('../core/experiment/load');
    const result = analyzeExperiment(document.getText(), document.uri.fsPath);
    const analysis = { version: document.version, ...result };
    this.cache.set(key, analysis);
    return analysis;
  }

  forget(document: vscode.TextDocument): void {
    this.cache.delete(document.uri.toString());
  }
}

export function registerExperimentEditing(lab: Lab): vscode.Disposable[] {
  const analyzer = lab.analyzer;
  const diagnostics = vscode.languages.createDiagnosticCollection('symlora');
  const lenses = new ExperimentCodeLens(analyzer);
  const timers = new Map<string, NodeJS.Timeout>();
  const check = async (document: vscode.TextDocument) => {
    if (!isExperimentDocument(document)) return;
    try {
      const analysis = await analyzer.analyze(document);
      diagnostics.set(document.uri, toDiagnostics(document, analysis));
      lenses.refresh();
    } catch (error) {
      log().error(`cannot check ${document.uri.fsPath}: ${(error as Error).stack ?? error}`);
    }
  };
  const later = (document: vscode.TextDocument) => {
    const key = document.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => void check(document), CHANGE_DEBOUNCE_MS),
    );
  };
  vscode.workspace.textDocuments.forEach((document) => void check(document));
  return [
    diagnostics,
    vscode.languages.registerCodeLensProvider({ pattern: EXPERIMENT_GLOB }, lenses),
    vscode.workspace.onDidOpenTextDocument((document) => void check(document)),
    vscode.workspace.onDidChangeTextDocument((event) => isExperimentDocument(event.document) && later(event.document)),
    // The run lens's title depends on trust; an editor left open would keep "trust this workspace to run".
    vscode.workspace.onDidGrantWorkspaceTrust(() => lenses.refresh()),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (!isExperimentDocument(document)) return;
      analyzer.forget(document);
      diagnostics.delete(document.uri);
    }),
    { dispose: () => timers.forEach((timer) => clearTimeout(timer)) },
  ];
}

export function toDiagnostics(document: vscode.TextDocument, analysis: DocumentAnalysis): vscode.Diagnostic[] {
  const make = (issue: ExperimentIssue, severity: vscode.DiagnosticSeverity) => {
    const diagnostic = new vscode.Diagnostic(rangeOf(document, issue), `${issue.message}${issue.path ? ` (${issue.path})` : ''}`, severity);
    diagnostic.source = 'symlora';
    return diagnostic;
  };
  return [
    ...analysis.errors.map((issue) => make(issue, issue.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error)),
    ...analysis.warnings.map((issue) => make(issue, vscode.DiagnosticSeverity.Warning)),
  ];
}

function rangeOf(document: vscode.TextDocument, issue: ExperimentIssue): vscode.Range {
  if (issue.offset !== undefined) {
    const start = document.positionAt(issue.offset);
    const end = document.positionAt(issue.offset + Math.max(1, issue.length ?? 1));
    return new vscode.Range(start, end);
  }
  if (issue.line !== undefined) {
    const line = Math.min(Math.max(0, issue.line - 1), document.lineCount - 1);
    const column = Math.max(0, (issue.column ?? 1) - 1);
    return new vscode.Range(line, column, line, document.lineAt(line).range.end.character);
  }
  return new vscode.Range(0, 0, 0, document.lineAt(0).range.end.character);
}

class ExperimentCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly analyzer: ExperimentAnalyzer) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const top = new vscode.Range(0, 0, 0, 0);
    const analysis = await this.analyzer.analyze(document);
    if (!analysis.config) {
      const n = analysis.errors.length;
      return [
        new vscode.CodeLens(top, {
          title: `$(error) ${n} problem${n === 1 ? '' : 's'}: fix ${n === 1 ? 'it' : 'them'} to run`,
          command: 'workbench.actions.view.problems',
        }),
      ];
    }
    const { summarizeExperiment, paramLensTitle } = await import('./experimentSummary');
    let summary;
    try {
      summary = summarizeExperiment(analysis.config, document.uri.fsPath);
    } catch (error) {
      return [new vscode.CodeLens(top, { title: `$(error) ${(error as Error).message.split('\n')[0]}`, command: '' })];
    }
    const trusted = vscode.workspace.isTrusted;
    const runTitle = summary.runs > 1 ? `Run sweep (${summary.runs} runs)` : 'Run';
    return [
      new vscode.CodeLens(top, {
        title: trusted ? `$(play) ${runTitle}` : `$(shield) ${runTitle} (trust this workspace to run)`,
        command: 'symlora.runExperiment',
        arguments: [document.uri],
      }),
      ...summary.params.map((line) => new vscode.CodeLens(top, { title: paramLensTitle(line), command: '' })),
    ];
  }
}
