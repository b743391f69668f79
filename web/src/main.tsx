// The web app's entry: /portal... is the member portal, /s/TOKEN a survey to answer, everything else the staff
// console. All are one bundle: a member's phone rarely downloads it twice, and the console's charts load with it.
import { render } from 'preact';
import { interceptLinks, usePath } from './lib/router';
import { StaffApp } from './staff/StaffApp';
import { PortalApp } from './portal/PortalApp';
import { SurveyAnswer } from './survey/SurveyAnswer';
import './styles.css';

function App() {
  const path = usePath();
  // a personal survey link, /s/TOKEN: the page for answering, nothing else of the app
  if (path.startsWith('/s/')) return <SurveyAnswer token={decodeURIComponent(path.slice(3))} />;
  return path === '/portal' || path.startsWith('/portal/') ? <PortalApp /> : <StaffApp path={path} />;
}

interceptLinks();
render(<App />, document.getElementById('app')!);
