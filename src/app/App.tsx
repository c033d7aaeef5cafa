import { BackendBadge } from './BackendBadge';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <h1>DropLab</h1>
          <p className="tagline">Layer redundancy in transformer language models</p>
        </div>
        <BackendBadge />
      </header>

      <main className="app-main">
        <section className="panel" aria-labelledby="layers-heading">
          <div className="panel-head">
            <h2 id="layers-heading">Layers</h2>
            <span className="panel-note">attention and MLP sublayers, importance and drops</span>
          </div>
          <div id="layer-table" className="placeholder" data-state="empty">
            No model loaded yet. The layer table appears here once a model is loaded.
          </div>
        </section>
      </main>

      <footer className="app-footer">
        Importance follows LLM-Drop (He et al., 2024): 1 − cosine similarity between a sublayer's input and output.
      </footer>
    </div>
  );
}
