/**
 * The workbench layout: a sidebar (model, text, quick plan, experiments) and the main views (perplexity
 * and savings, the sublayer heatmap, boundary similarity and angular distance). At 1280 px the sidebar
 * and the first views fit side by side; under 1000 px everything stacks in one column, the results
 * (perplexity, heatmap) before the setup; under 700 px the setup folds (SetupFold). From 360 px up nothing
 * scrolls sideways; on wide screens the column and the charts grow with the viewport.
 *
 * Extension: new views are panels in `.views` (use ChartFrame); new setup tools are panels in `SetupFold`.
 */
import { ClassroomBar, ClassroomToggle } from './classroom/Classroom';
import { TourCard } from './classroom/TourCard';
import { CurvesPanel } from './curves/CurvesPanel';
import { HistoryControls } from './HistoryControls';
import { ImportedPanel } from './import/ImportedPanel';
import { ImportPanel } from './import/ImportPanel';
import { NoticeBanner } from './NoticeBanner';
import { TextPanel } from './data/TextPanel';
import { ExportPanel } from './export/ExportPanel';
import { GenerationPanel } from './generate/GenerationPanel';
import { SpeedPanel } from './generate/SpeedPanel';
import { BackendBadge } from './header/BackendBadge';
import { ModelSummary } from './header/ModelSummary';
import { SublayerPanel } from './heatmap/SublayerPanel';
import { SetupFold } from './layout/SetupFold';
import { ModelPanel } from './model/ModelPanel';
import { QuickPlan } from './plan/QuickPlan';
import { CostPanel } from './results/CostPanel';
import { PerplexityPanel } from './results/PerplexityPanel';
import { SavedPanel } from './saved/SavedPanel';
import { TokenPanel } from './tokens/TokenPanel';
import { AngularPanel } from './views/AngularPanel';
import { SimilarityPanel } from './views/SimilarityPanel';
import { AccuracyCurvesPanel } from './tasks/AccuracyCurvesPanel';
import { TasksPanel } from './tasks/TasksPanel';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <h1>DropLab</h1>
          <p className="tagline">Which attention and MLP layers does a transformer need?</p>
        </div>
        <div className="header-right">
          <ModelSummary />
          <BackendBadge />
          <ClassroomToggle />
        </div>
      </header>
      <NoticeBanner />
      <ClassroomBar />
      <main className="workbench">
        <aside className="sidebar" aria-label="Setup">
          <SetupFold>
            <ModelPanel />
            <TextPanel />
            <QuickPlan />
            <SavedPanel />
            <ImportPanel />
          </SetupFold>
        </aside>
        <div className="views">
          <div className="top-row">
            <PerplexityPanel />
            <CostPanel />
          </div>
          <div className="toolbar-row">
            <HistoryControls />
          </div>
          <ImportedPanel />
          <SublayerPanel />
          <TokenPanel />
          <TasksPanel />
          <CurvesPanel />
          <AccuracyCurvesPanel />
          <div className="pair-row">
            <SimilarityPanel />
            <AngularPanel />
          </div>
          <GenerationPanel />
          <div className="use-row">
            <ExportPanel />
            <SpeedPanel />
          </div>
        </div>
      </main>
      <footer className="app-footer">
        Importance follows LLM-Drop (He et al., 2024, “What Matters in Transformers? Not All Attention is Needed”): 1 −
        cosine similarity between a sublayer's input and output. Angular distance: Gromov et al. (2024). Block
        influence: ShortGPT (Men et al., 2024).
      </footer>
      <TourCard />
    </div>
  );
}
