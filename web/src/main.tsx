// The web app's entry: /portal... is the member portal, everything else the staff console. Both are one
// bundle: a member's phone rarely downloads it twice, and the console's charts load with it.
import { render } from 'preact';
import { interceptLinks, usePath } from './lib/router';
import { StaffApp } from './staff/StaffApp';
import { PortalApp } from './portal/PortalApp';
import './styles.css';

function App() {
  const path = usePath();
  return path === '/portal' || path.startsWith('/portal/') ? <PortalApp /> : <StaffApp path={path} />;
}

interceptLinks();
render(<App />, document.getElementById('app')!);
